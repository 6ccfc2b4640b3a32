"""Breakpoints in training code inside real SageMaker local-mode containers.

Each test runs the quick-start driver (an unmodified local-mode script using
``LocalSession`` + the ``PyTorch`` estimator with ``local_code``, ``file://`` data and
output, no AWS account) through ``smdebug-local run`` and debugs it with the DAP client in
``tests/dap.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import SMDEBUG, WAITING, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e


def _attach(match, breakpoints: dict[Path, list[int]]) -> Debugger:
    debugger = Debugger(
        host=match["bind"],
        port=int(match["port"]),
        path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        breakpoints={str(path): lines for path, lines in breakpoints.items()},
    )
    debugger.attach()
    return debugger


def test_breakpoints_in_entry_point_helper_and_dataloader_worker(
    quickstart, training_image, start_run
):
    src = quickstart / "src"
    train, helpers = src / "train.py", src / "helpers.py"
    loop = marker_line(train, "# loop breakpoint")
    worker = marker_line(train, "# worker breakpoint")
    helper = marker_line(helpers, "# helper breakpoint")

    run = start_run(
        ["driver.py"],
        cwd=quickstart,
        env={
            "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
            "EXAMPLE_EPOCHS": "1",
            "EXAMPLE_WORKERS": "2",
        },
    )
    (match,) = run.wait_for(WAITING)
    assert match["role"] == "training" and match["host"] == "algo-1"
    assert match["bind"] == "127.0.0.1"
    assert Path(match["local"]) == src and match["remote"] == "/opt/ml/code"
    assert "waiting for debugger" in match.group(0)

    debugger = _attach(match, {train: [loop, worker], helpers: [helper]})

    # A DataLoader worker (a forked child process) stops in the user's Dataset.
    stop = debugger.next_stop()
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (train, worker)
    assert stop.conn.name.startswith("child-"), "expected the stop in a worker process"
    assert "index" in stop.locals()
    debugger.connections[0].request(
        "setBreakpoints", {"source": {"path": str(train)}, "breakpoints": [{"line": loop}]}
    )
    for conn in debugger.connections[1:]:
        conn.request("setBreakpoints", {"source": {"path": str(train)}, "breakpoints": []})
    stop.resume()

    # Drain stops of other workers that reached the worker line before it was cleared.
    stop = debugger.next_stop()
    while stop.conn.name != "main":
        stop.resume()
        stop = debugger.next_stop()

    # The training loop, in the entry-point process, with the local path mapped back.
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (train, loop)
    variables = stop.locals()
    assert variables["epoch"]["value"] == "0"
    assert variables["batch"]["value"] == "0"
    assert stop.evaluate("tuple(inputs.shape)") == "(32, 1, 8, 8)"
    # Tensors say what they are (the payload's _smdebug_local_values), and expanding one
    # offers statistics computed when that child is expanded.
    assert re.fullmatch(
        r"Tensor\[32, 1, 8, 8\] float32 cpu  \[\[\[\[(-?[\d.e+-]+, ){6}…\], …\]\], …\]",
        variables["inputs"]["value"],
    ), variables["inputs"]
    assert variables["logits"]["value"].startswith("Tensor[32, 4] float32 cpu requires_grad  [[")

    def children(variable: dict) -> dict[str, dict]:
        ref = variable["variablesReference"]
        found = stop.conn.request("variables", {"variablesReference": ref})["variables"]
        return {v["name"]: v for v in found}

    expanded = children(variables["inputs"])
    assert "[stats]" in expanded and "shape" in expanded, list(expanded)
    stats = {k: v["value"] for k, v in children(expanded["[stats]"]).items()}
    assert float(stats["min"]) <= float(stats["mean"]) <= float(stats["max"]), stats
    assert (stats["NaN"], stats["Inf"], stats["over"]) == ("0", "0", "'all 2,048 elements'")
    stop.conn.request("setBreakpoints", {"source": {"path": str(train)}, "breakpoints": []})
    stop.resume()

    # A helper module in source_dir.
    stop = debugger.next_stop()
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (helpers, helper)
    assert "labels" in stop.locals()
    stop.conn.request("setBreakpoints", {"source": {"path": str(helpers)}, "breakpoints": []})
    stop.resume()

    assert run.finish() == 0, run.output
    assert not debugger.errors
    # The model artifact is where local mode puts it.
    artifact = quickstart / "output" / "model.tar.gz"
    with tarfile.open(artifact) as tar:
        assert "model.pth" in tar.getnames()


def test_no_wait_runs_to_completion_without_a_debugger(quickstart, training_image, start_run):
    run = start_run(
        ["--no-wait", "driver.py"],
        cwd=quickstart,
        env={
            "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
            "EXAMPLE_EPOCHS": "1",
            "EXAMPLE_WORKERS": "2",
        },
    )
    (match,) = run.wait_for(WAITING)
    assert "debugger listening" in match.group(0) and run.saw("(not waiting)")
    # DataLoader workers must not block waiting for a debugger that never comes.
    assert run.finish(timeout=240) == 0, run.output
    assert (quickstart / "output" / "model.tar.gz").is_file()


@pytest.fixture
def pyversions(plain: Path) -> Path:
    """The plain project with the code of tests/e2e/projects/pyversions: a helper module
    and a child process beside the entry point."""
    shutil.copytree(
        Path(__file__).parent / "projects" / "pyversions" / "src", plain / "src", dirs_exist_ok=True
    )
    return plain


def test_entry_point_helper_and_child_process_on_the_images_python(
    pyversions, py39_image, start_run
):
    """On the plain-Python image (Python 3.9 here; 3.13 and 3.14 in tests/compose's matrix):
    the entry point, a helper module and a multiprocessing child each stop, on the debugpy
    build of that Python; `status` and the state file say where to attach meanwhile; the
    script sees no difference in how it was started."""
    src = pyversions / "src"
    lines = {
        src / "helpers.py": marker_line(src / "helpers.py", "# helper breakpoint"),
        src / "train.py": marker_line(src / "train.py", "# child breakpoint"),
    }
    entry = marker_line(src / "train.py", "# entry breakpoint")
    run = start_run(["driver.py"], cwd=pyversions, env={"TEST_IMAGE": py39_image})
    (match,) = run.wait_for(WAITING)
    # While it runs, `status` says where to attach (and the state file says it to tools).
    status = subprocess.run(
        [SMDEBUG, "status", "--json"], cwd=pyversions, capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0, status.stderr
    (target,) = json.loads(status.stdout)["targets"]
    assert (target["role"], target["host"], target["status"]) == ("training", "algo-1", "running")
    assert target["endpoints"] == [f"127.0.0.1:{match['port']}"]
    assert target["pathMappings"] == [{"localRoot": str(src), "remoteRoot": "/opt/ml/code"}]
    table = subprocess.run(
        [SMDEBUG, "status"], cwd=pyversions, capture_output=True, text=True, timeout=60
    ).stdout
    assert f"127.0.0.1:{match['port']}" in table and "running" in table

    debugger = _attach(
        match,
        {
            src / "helpers.py": [lines[src / "helpers.py"]],
            src / "train.py": [lines[src / "train.py"], entry],
        },
    )
    stop = debugger.next_stop()  # the helper, in the entry point's process
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (
        src / "helpers.py",
        lines[src / "helpers.py"],
    )
    assert stop.locals()["scaled"]["value"] == "[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]"
    python = stop.evaluate("'%d.%d' % __import__('sys').version_info[:2]").strip("'")
    expected = "1.8.21" if tuple(map(int, python.split("."))) < (3, 10) else "1.8.22"
    assert stop.evaluate("__import__('debugpy').__version__") == repr(expected)
    stop.resume()
    stop = debugger.next_stop()  # the child process, which debugpy handed over
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (src / "train.py", lines[src / "train.py"])
    assert stop.evaluate("os.getpid() != os.getppid()") == "True"
    stop.resume()
    stop = debugger.next_stop()  # the entry point again, with the child's answer
    assert stop.frames()[0]["line"] == entry
    assert stop.evaluate("total") == "1140"
    stop.resume()
    assert run.finish() == 0, run.output
    with tarfile.open(pyversions / "output" / "model.tar.gz") as tar:
        result = json.load(tar.extractfile("result.json"))
    # Debugging changed nothing the script can observe about how it was started.
    assert {k: result[k] for k in ("total", "python", "argv", "name")} == {
        "total": 1140,
        "python": python,
        "argv": ["train.py", "--scale", "3"],
        "name": "__main__",
    }
    assert not (pyversions / ".smdebug-local" / "state.json").exists()  # the run is over


def test_two_hosts_each_get_a_port_and_both_stop(plain, py39_image, start_run):
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    run = start_run(
        ["driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image, "TEST_INSTANCE_COUNT": "2"}
    )
    hosts = run.wait_for(WAITING, count=2)
    assert sorted(m["host"] for m in hosts) == ["algo-1", "algo-2"]
    assert len({m["port"] for m in hosts}) == 2
    debuggers = [_attach(m, {train: [line]}) for m in hosts]
    stops = [d.next_stop() for d in debuggers]
    for stop in stops:
        assert stop.frames()[0]["line"] == line
    assert {s.evaluate("os.environ['SM_CURRENT_HOST'][:6]") for s in stops} == {
        "'algo-1'",
        "'algo-2'",
    }
    for stop in stops:
        stop.resume()
    assert run.finish() == 0, run.output

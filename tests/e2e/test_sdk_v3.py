"""SageMaker SDK 3.x: ModelTrainer local container mode, in its own virtualenv.

smdebug-local is installed there from a wheel of this repo (``sdk3`` fixture), next to
``sagemaker==3.x`` -- the same code path a v3 user gets, with none of SDK 2.x around.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_watch import RERUN, STILL_WATCHING, edit, interrupt

from conftest import WAITING, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

PROJECTS = Path(__file__).parent / "projects"
RERUN_DONE = re.compile(r"rerun 1 of training job \S+ finished in [\d.]+s; artifacts: (\S+)")


@pytest.fixture
def trainer(tmp_path: Path) -> Path:
    """The ModelTrainer driver with the plain project's training script."""
    dest = tmp_path / "trainer"
    shutil.copytree(PROJECTS / "trainer", dest)
    shutil.copytree(PROJECTS / "plain" / "src", dest / "src")
    return dest


def _attach(match, path: Path, line: int) -> Debugger:
    debugger = Debugger(
        host=match["bind"],
        port=int(match["port"]),
        path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        breakpoints={str(path): [line]},
    )
    debugger.attach()
    return debugger


@pytest.mark.parametrize("hosts", [1, 2])
def test_model_trainer_breakpoint_on_every_host(trainer, training_image, start_run, sdk3, hosts):
    """With one host, in watch mode: then an edit reruns the job with the new code."""
    train = trainer / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    run = start_run(
        (["--watch"] if hosts == 1 else []) + ["driver.py"],
        cwd=trainer,
        smdebug=str(sdk3),
        env={"TEST_IMAGE": training_image, "TEST_INSTANCE_COUNT": str(hosts)},
    )
    matches = run.wait_for(WAITING, count=hosts)
    assert sorted(m["host"] for m in matches) == [f"algo-{i}" for i in range(1, hosts + 1)]
    assert len({m["port"] for m in matches}) == hosts
    # ModelTrainer mounts the source as the `code` channel, straight from the user's folder.
    assert {(m["local"], m["remote"]) for m in matches} == {
        (str(trainer / "src"), "/opt/ml/input/data/code")
    }
    debuggers = [_attach(m, train, line) for m in matches]
    stops = [d.next_stop() for d in debuggers]
    for stop in stops:
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (train, line)
        assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    assert {s.evaluate("os.environ['SM_CURRENT_HOST']") for s in stops} == {
        f"'algo-{i}'" for i in range(1, hosts + 1)
    }
    for stop in stops:
        stop.resume()
    if hosts == 1:
        run.wait_for(STILL_WATCHING)
        for debugger in debuggers:
            debugger.close()
        _rerun_after_an_edit(run, trainer, train)
    else:
        assert run.finish() == 0, run.output
    result = json.loads((trainer / "work" / "model" / "result.json").read_text())
    # The script ran as ModelTrainer runs it: `python train.py --scale 3`, as __main__.
    assert {k: result[k] for k in ("total", "python", "argv", "name")} == {
        "total": 135,
        "python": "3.11",
        "argv": ["train.py", "--scale", "3"],
        "name": "__main__",
    }


def _rerun_after_an_edit(run, trainer: Path, train: Path) -> None:
    """Watch mode: a saved edit reruns ModelTrainer's job (its train() call again) in a
    container of its own root, under `<job>-rerun-1`; the breakpoint hits the new code."""
    edit(
        train,
        "    total = sum(numbers)",
        "    numbers.append(100)  # added while watching\n    total = sum(numbers)",
    )
    job, attempt = run.wait_for(RERUN)[0].groups()
    assert attempt == "1"
    second = run.wait_for(WAITING, count=2)[1]
    assert (second["local"], second["remote"]) == (str(train.parent), "/opt/ml/input/data/code")
    line = marker_line(train, "# sum breakpoint")
    debugger = _attach(second, train, line)
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == line
    assert stop.evaluate("len(numbers)") == "11"
    stop.resume()
    debugger.close()
    done = run.wait_for(RERUN_DONE)[0]
    root = trainer / "work" / f"{job}-rerun-1"
    assert done.group(1) == f"file://{root}/compressed_artifacts/model.tar.gz", done.string
    rerun = json.loads((root / "model" / "result.json").read_text())
    assert rerun["total"] == (45 + 100) * 3  # the first run's result.json is checked after
    assert interrupt(run) == 130


def test_model_trainer_torchrun_every_rank_stops(tmp_path, training_image, start_run, sdk3):
    """ModelTrainer(distributed=Torchrun(process_count_per_node=2)): the container's torchrun
    starts 2 ranks; each is its own target (named by rank), stops at the breakpoint after the
    all-reduce with its own rank, and the job ends."""
    project = tmp_path / "trainer"
    shutil.copytree(PROJECTS / "trainer", project)
    shutil.copytree(PROJECTS / "ranks" / "src", project / "src")
    train = project / "src" / "train.py"
    line = marker_line(train, "# ranks breakpoint")
    run = start_run(
        ["driver.py"],
        cwd=project,
        smdebug=str(sdk3),
        env={"TEST_IMAGE": training_image, "TEST_RANKS_PER_HOST": "2"},
    )
    matches = run.wait_for(WAITING, count=2, timeout=300)
    assert sorted(int(m["rank"]) for m in matches) == [0, 1], [m.group(0) for m in matches]
    assert len({m["port"] for m in matches}) == 2, "two ranks on one port"
    debuggers = [_attach(m, train, line) for m in matches]
    stops = {}
    for match, debugger in zip(matches, debuggers):
        stop = debugger.next_stop(timeout=180)
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (train, line)
        assert int(stop.evaluate("rank")) == int(match["rank"])
        assert stop.evaluate("value.item()") == "1.0"
        stops[int(match["rank"])] = stop
    for stop in stops.values():
        stop.resume()
    assert run.finish(timeout=240) == 0, run.output
    assert (project / "work" / "model" / "sum.txt").read_text() == "1.0"

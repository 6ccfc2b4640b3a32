"""`smdebug-local run --watch`: edits rerun training and reload endpoints, under the debugger.

Real containers, real local mode; the DAP test client plays the IDE. Each test ends the run
with Ctrl-C (SIGINT), as a user would, and the autouse fixture checks nothing is left.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from test_connect_mode import _bridge_port, _listen_in_background
from test_serving import Post, attach, post_npy

from conftest import WAITING, Run, marker_line
from dap import HostAdapter

pytestmark = pytest.mark.e2e

STILL_WATCHING = re.compile(r"still watching \d+ job")
RERUN = re.compile(r"rerunning training job (\S+) \(rerun (\d+)\)")
RERUN_DONE = re.compile(r"rerun (\d+) of training job \S+ finished in ([\d.]+)s; artifacts: (\S+)")
RELOADED = re.compile(r"endpoint \S+: model-server workers reloaded \((\d+) started\) in ([\d.]+)s")
APPLIED = re.compile(
    r"endpoint \S+: (\S+) applied in 1 running process\(es\) \(no restart, the loaded model "
    r"kept\) in ([\d.]+)s"
)


def interrupt(run: Run) -> int:
    """Ctrl-C, as in a terminal; the run's exit status."""
    run.proc.send_signal(signal.SIGINT)
    return run.finish(120)


def running(name_part: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True, check=True
    ).stdout.split()
    return [n for n in out if name_part in n]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_edit_reruns_training_and_the_breakpoint_hits_the_new_code(plain, py39_image, start_run):
    train = plain / "src" / "train.py"
    run = start_run(["--watch", "driver.py"], plain, {"TEST_IMAGE": py39_image})
    first = run.wait_for(WAITING)[0]
    debugger = attach(first, {train: [marker_line(train, "# sum breakpoint")]})
    stop = debugger.next_stop()
    assert stop.evaluate("len(numbers)") == "10"
    stop.resume()
    debugger.close()
    run.wait_for(STILL_WATCHING)

    # Two lines more above the breakpoint: the new run must stop at the new line number.
    edit(
        train,
        "    total = sum(numbers)",
        "    numbers.append(100)  # added while watching\n    numbers.append(1)\n"
        "    total = sum(numbers)",
    )
    job, attempt = run.wait_for(RERUN)[0].groups()
    assert attempt == "1"
    second = run.wait_for(WAITING, count=2)[1]
    assert second["port"] == first["port"], "a rerun keeps its port (saved IDE configs fit)"
    line = marker_line(train, "# sum breakpoint")
    debugger = attach(second, {train: [line]})
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == line
    assert stop.evaluate("len(numbers)") == "12"
    stop.resume()
    debugger.close()
    done = run.wait_for(RERUN_DONE)[0]
    artifacts = done.group(3)
    assert artifacts == f"file://{plain / 'output' / f'{job}-rerun-1' / 'model.tar.gz'}"
    assert Path(artifacts[len("file://") :]).is_file()
    assert (plain / "output" / "model.tar.gz").is_file(), "the first run's artifacts are kept"
    assert interrupt(run) == 130


def test_a_burst_of_200_files_is_one_rerun_and_a_touch_is_none(plain, py39_image, start_run):
    src = plain / "src"
    run = start_run(["--watch", "--no-wait", "driver.py"], plain, {"TEST_IMAGE": py39_image})
    run.wait_for(STILL_WATCHING)
    started = time.monotonic()
    generated = src / "generated"
    generated.mkdir()
    for i in range(200):
        (generated / f"module_{i}.py").write_text(f"VALUE = {i}\n")
    # Ignored: editor swap files, caches, what .gitignore excludes.
    (src / ".train.py.swp").write_text("x")
    (src / "__pycache__").mkdir(exist_ok=True)
    (src / "__pycache__" / "train.cpython-39.pyc").write_bytes(b"x")
    run.wait_for(RERUN_DONE, timeout=180)
    time.sleep(3)  # longer than the debounce cap: a second rerun would have started
    assert len(run.wait_for(RERUN, count=1)) == 1
    assert sum(bool(RERUN.search(line)) for line in run.lines) == 1, run.output
    print(f"burst -> rerun finished in {time.monotonic() - started:.1f}s")

    # The same content written again, and an ignored file edited: nothing to do.
    (src / "train.py").write_text((src / "train.py").read_text())
    (src / ".gitignore").write_text("scratch/\n")  # a change: the .gitignore itself counts
    run.wait_for(RERUN, count=2, timeout=60)
    run.wait_for(RERUN_DONE, count=2, timeout=180)
    (src / "scratch").mkdir()
    (src / "scratch" / "notes.py").write_text("x = 1\n")
    time.sleep(3)
    assert sum(bool(RERUN.search(line)) for line in run.lines) == 2, run.output
    assert interrupt(run) == 130


def test_a_paused_debugger_is_not_killed_by_an_edit(plain, py39_image, start_run):
    train = plain / "src" / "train.py"
    run = start_run(["--watch", "driver.py"], plain, {"TEST_IMAGE": py39_image})
    first = run.wait_for(WAITING)[0]
    debugger = attach(first, {})
    run.wait_for(STILL_WATCHING)
    debugger.close()

    edit(train, "    version =", "    version_note = 1\n    version =")
    second = run.wait_for(WAITING, count=2)[1]
    debugger = attach(second, {train: [marker_line(train, "# sum breakpoint")]})
    stop = debugger.next_stop()
    containers = running("algo-1")
    assert len(containers) == 1

    edit(train, "    version_note = 1\n", "    version_note = 2\n")
    run.wait_for(
        re.compile(
            r"is paused at a breakpoint; the change applies when you "
            r"continue"
        )
    )
    time.sleep(2)
    assert running("algo-1") == containers, "the paused container must not be replaced"
    assert stop.evaluate("len(numbers)") == "10", "the debugger still answers"
    assert not run.saw("(rerun 2)")

    stop.resume()
    debugger.close()
    run.wait_for(re.compile(r"\(rerun 2\)"), timeout=120)
    third = run.wait_for(WAITING, count=3)[2]
    assert third["port"] == first["port"]
    assert interrupt(run) == 130


def test_a_transform_fn_edit_is_live_in_the_running_worker_and_a_model_fn_edit_reloads_it(
    quickstart, training_image, serving_image, start_run
):
    """A body edit goes into the running TorchServe worker: no new worker, the loaded model
    object kept, the next request runs it -- also while a request is paused at a breakpoint
    (that request finishes with the code it started with). ``model_fn`` reloads the worker."""
    inference = quickstart / "src" / "inference.py"
    run = start_run(
        ["--no-wait", "--watch", "serve.py"],
        quickstart,
        {
            "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
            "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": serving_image,
            "EXAMPLE_EPOCHS": "1",
            "EXAMPLE_WORKERS": "0",
        },
    )
    run.wait_for(STILL_WATCHING, timeout=300)
    sample = np.random.default_rng(1).random((2, 1, 8, 8), dtype=np.float32)
    status, before = post_npy(sample)
    assert status == 200
    listening = len([line for line in run.lines if WAITING.search(line)])
    workers = [m for m in run.wait_for(WAITING, count=listening) if m["role"] == "serving"]

    edit(
        inference,
        "    np.save(buffer, classes.numpy())",
        "    classes = classes + 100  # edited while serving\n    np.save(buffer, classes.numpy())",
    )
    assert run.wait_for(APPLIED, timeout=60)[0].group(1) == "transform_fn"
    edited_line = marker_line(inference, "# edited while serving")
    debugger = attach(workers[-1], {inference: [edited_line]})
    first = Post(sample)
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == edited_line
    stop.evaluate("setattr(model, 'kept_by_smdebug_local_test', True)")

    edit(inference, "classes + 100", "classes + 200")  # while the request is paused
    assert len(run.wait_for(APPLIED, count=2, timeout=60)) == 2
    stop.resume()
    status, answer = first.outcome()
    assert status == 200
    np.testing.assert_array_equal(answer, before + 100)  # the code it started with
    second = Post(sample)
    stop = debugger.next_stop()
    assert stop.evaluate("getattr(model, 'kept_by_smdebug_local_test', False)") == "True"
    stop.resume()
    status, answer = second.outcome()
    debugger.close()
    assert status == 200
    np.testing.assert_array_equal(answer, before + 200)
    assert len([line for line in run.lines if WAITING.search(line)]) == listening, (
        "no worker was started: the edits ran in the running one"
    )

    edit(inference, "    return model.eval()", "    model.edited = True\n    return model.eval()")
    reloaded = run.wait_for(RELOADED, timeout=120)[0]
    assert int(reloaded.group(1)) == 1
    assert "(model_fn changed (the model is loaded again))" in reloaded.string
    run.wait_for(WAITING, count=listening + 1)
    status, answer = post_npy(sample)
    assert status == 200
    np.testing.assert_array_equal(answer, before + 200)
    assert not run.saw("rerunning training job"), (
        "an edit of the serving entry point does not rerun training"
    )
    assert interrupt(run) == 130


def test_in_connect_mode_the_listening_ide_gets_every_rerun(plain, py39_image, start_run):
    """Connect-back mode + watch: each rerun's container connects to the IDE by itself; the
    IDE only listens again after each session ends ("restart": true), as VS Code does."""
    bridge, port = _bridge_port()
    config = {
        "name": "listen",
        "type": "debugpy",
        "request": "attach",
        "listen": {"host": bridge, "port": port},
        "justMyCode": False,
    }
    train = plain / "src" / "train.py"
    run = None
    for round_ in (1, 2):
        if round_ == 2:  # the rerun waits for the IDE to listen (connect-back patience)
            edit(
                train,
                "    total = sum(numbers)",
                "    numbers.append(5)  # edited\n    total = sum(numbers)",
            )
        adapter = HostAdapter()
        try:
            line = marker_line(train, "# sum breakpoint")
            listener, session = _listen_in_background(adapter, config, {str(train): [line]})
            if run is None:
                run = start_run(
                    ["--mode", "connect", "--port", str(port), "--watch", "driver.py"],
                    plain,
                    {"TEST_IMAGE": py39_image},
                )
            listener.join(300)
            assert "debugger" in session, (round_, session.get("error"), run.output)
            stop = session["debugger"].next_stop()
            assert stop.frames()[0]["line"] == line, round_
            assert stop.evaluate("len(numbers)") == ("10" if round_ == 1 else "11")
            stop.resume()
            run.wait_for(STILL_WATCHING if round_ == 1 else RERUN_DONE)
            session["debugger"].close()
        finally:
            adapter.close()
    assert interrupt(run) == 130

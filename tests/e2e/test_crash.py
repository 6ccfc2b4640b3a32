"""Post-mortem pauses: a training job that crashes with nobody attached (`--no-wait`) stops
at the exception, says where to attach, shows the exception and the raising frame's
locals to the debugger that attaches, and on continue fails exactly as plain local mode
does. The same for a DataLoader worker's crash (projects/crash).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import WAITING, copy_project, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

CRASHED = re.compile(
    r"smdebug-local: (?P<who>.+?) crashed \((?P<error>[^)]*\)?)\) at (?P<file>\S+):(?P<line>\d+) "
    r"-- paused for post-mortem on (?P<bind>[\d.]+):(?P<port>\d+); attach to inspect, "
    r"continue to let it fail"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What a failed training job looks like to the driver (SDK 2.x local mode).
JOB_FAILED = "Failed to run"


@pytest.fixture
def crash_project(tmp_path: Path) -> Path:
    return copy_project("crash", tmp_path / "crash")


def attach_at(listening, crashed) -> Debugger:
    """A debugger on the crashed process's endpoint, mapped as the listening line says."""
    debugger = Debugger(
        crashed["bind"],
        int(crashed["port"]),
        [{"localRoot": listening["local"], "remoteRoot": listening["remote"]}],
        {},
    )
    debugger.attach()
    return debugger


def exception_of(stop) -> dict:
    return stop.conn.request("exceptionInfo", {"threadId": stop.thread_id})


def user_traceback(output: str) -> list[str]:
    """The lines of the container's traceback that name the user's script, and its last."""
    plain = ANSI.sub("", output)
    lines = [line.split(" |", 1)[-1].strip() for line in plain.splitlines()]
    return [
        line
        for line in lines
        if (line.startswith('File "/opt/ml/code/train.py"') or line.startswith("ValueError:"))
    ]


def test_a_crash_with_nobody_attached_pauses_for_post_mortem_then_fails_as_plain_local_mode(
    crash_project, training_image, start_run
):
    env = {"TEST_IMAGE": training_image, "TEST_CRASH": "main"}
    source = crash_project / "src" / "train.py"
    run = start_run(["--no-wait", "--post-mortem", "driver.py"], cwd=crash_project, env=env)
    listening = run.wait_for(WAITING, timeout=300)[0]
    crashed = run.wait_for(CRASHED, timeout=300)[0]
    assert crashed["who"] == "training algo-1 (PyTorch)", crashed.group(0)
    assert crashed["error"] == "ValueError: bad shape (4, 1)", crashed.group(0)
    assert (crashed["file"], int(crashed["line"])) == (
        "train.py",
        marker_line(source, "# main crash"),
    )
    assert run.saw("epoch 1 done") and not run.saw("epoch 2 done")
    assert run.proc.poll() is None, "the run ended instead of waiting"

    debugger = attach_at(listening, crashed)
    try:
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        info = exception_of(stop)
        assert info["exceptionId"].split()[0] == "ValueError", info
        assert info["description"] == "bad shape (4, 1)", info
        frame = stop.frames()[0]
        assert (Path(frame["source"]["path"]), frame["line"]) == (
            source,
            marker_line(source, "# main crash"),
        )
        local = stop.locals()
        assert local["epoch"]["value"] == "2" and local["total"]["value"] == "6.0", local
        stop.resume(wait=False)
        code = run.finish(timeout=180)
    finally:
        debugger.close()

    # Plain local mode, the same job: the same exit status and the same traceback.
    plain = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=crash_project,
        env={**os.environ, **env, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert code == plain.returncode != 0, (code, plain.returncode)
    ours = "\n".join(run.lines)
    assert JOB_FAILED in ours and JOB_FAILED in plain.stdout + plain.stderr
    expected = user_traceback(plain.stdout + plain.stderr)
    assert "ValueError: bad shape (4, 1)" in expected, expected
    assert user_traceback(ours) == expected, ours[ours.index("epoch 1 done") :]


def test_a_dataloader_workers_crash_pauses_the_worker_for_post_mortem(
    crash_project, training_image, start_run
):
    source = crash_project / "src" / "train.py"
    run = start_run(
        ["--no-wait", "--post-mortem", "driver.py"],
        cwd=crash_project,
        env={"TEST_IMAGE": training_image, "TEST_CRASH": "worker"},
    )
    listening = run.wait_for(WAITING, timeout=300)[0]
    crashed = run.wait_for(CRASHED, timeout=300)[0]
    assert re.fullmatch(r"training algo-1 \(PyTorch\), child process \d+", crashed["who"]), (
        crashed.group(0)
    )
    assert crashed["error"] == "ValueError: bad item 5", crashed.group(0)
    assert int(crashed["line"]) == marker_line(source, "# worker crash")

    # The worker is a child of the training process: attaching there adopts it.
    debugger = attach_at(listening, crashed)
    try:
        debugger.wait_for_children(1, timeout=60)
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        assert exception_of(stop)["description"] == "bad item 5"
        frame = stop.frames()[0]
        assert frame["name"] == "__getitem__" and frame["line"] == marker_line(
            source, "# worker crash"
        )
        assert stop.locals()["index"]["value"] == "5"
        stop.resume(wait=False)
        code = run.finish(timeout=180)
    finally:
        debugger.close()
    assert code != 0
    assert run.saw("ValueError: Caught ValueError in DataLoader worker process 0")
    assert run.saw(JOB_FAILED)

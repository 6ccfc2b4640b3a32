"""Faults a workstation has, in real Docker: the driver killed with SIGKILL, two runs in one
workspace, a full disk under the state file, the Docker daemon restarted mid-run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_serving import attach

from conftest import SMDEBUG, WAITING, marker_line, our_containers

pytestmark = pytest.mark.e2e

EARLIER = re.compile(
    r"smdebug-local: removed (\d+) container\(s\) left by an earlier run in this workspace "
    r"\(pid (\d+), driver\.py\), whose process was killed"
)


def state_files(project: Path) -> dict[str, dict]:
    folder = project / ".smdebug-local"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("state*.json"))}


def stop_and_finish(run, project: Path, match) -> None:
    train = project / "src" / "train.py"
    debugger = attach(match, {train: [marker_line(train, "# sum breakpoint")]})
    stop = debugger.next_stop()
    stop.resume()
    debugger.close()
    assert run.finish() == 0, run.output


def test_the_next_run_removes_what_a_killed_driver_left(plain, py39_image, start_run):
    first = start_run(["driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    first.wait_for(WAITING)
    left = set(our_containers())
    assert left
    first.proc.send_signal(signal.SIGKILL)  # no clean-up at all
    first.proc.wait()
    time.sleep(1)
    assert set(our_containers()) >= left, "SIGKILL removed the containers"
    assert "state.json" in state_files(plain)

    second = start_run(["--no-wait", "driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    (said,) = second.wait_for(EARLIER)
    assert (int(said[1]), int(said[2])) == (len(left), first.proc.pid), said.string
    assert not left & set(our_containers())
    assert second.finish() == 0, second.output
    assert state_files(plain) == {}


def test_two_runs_in_one_workspace_keep_each_state_file_their_own(plain, py39_image, start_run):
    env = {"TEST_IMAGE": py39_image}
    first = start_run(["driver.py"], cwd=plain, env=env)
    (one,) = first.wait_for(WAITING)
    second = start_run(["driver.py"], cwd=plain, env=env)
    (two,) = second.wait_for(WAITING)
    second.wait_for(
        re.compile(
            rf"smdebug-local: another run is going on in this workspace \(pid {first.proc.pid}, "
            r"driver\.py\): this run's debug targets are listed in .*/\.smdebug-local/"
            r"state-[0-9a-f]+\.json"
        )
    )
    files = state_files(plain)
    second_run = next(doc["run"] for doc in files.values() if doc["pid"] == second.proc.pid)
    assert set(files) == {"state.json", f"state-{second_run}.json"}
    assert files["state.json"]["pid"] == first.proc.pid
    endpoints = {doc["pid"]: doc["targets"][0]["endpoints"] for doc in files.values()}
    assert endpoints == {
        first.proc.pid: [f"127.0.0.1:{one['port']}"],
        second.proc.pid: [f"127.0.0.1:{two['port']}"],
    }
    status = subprocess.run(
        [SMDEBUG, "status"], cwd=plain, capture_output=True, text=True, timeout=60
    )
    assert status.returncode == 0, status.stderr
    for port in (one["port"], two["port"]):
        assert f"127.0.0.1:{port}" in status.stdout, status.stdout
    stop_and_finish(first, plain, one)
    assert list(state_files(plain)) == [f"state-{second_run}.json"]
    stop_and_finish(second, plain, two)
    assert state_files(plain) == {}


@pytest.fixture
def full_state_folder(plain):
    """The project's .smdebug-local on a tmpfs with no space left."""
    folder = plain / ".smdebug-local"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={folder}/filler", "bs=4k"], capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_under_the_state_file_is_one_line_and_the_run_goes_on(
    plain, py39_image, full_state_folder, start_run
):
    run = start_run(["driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    (match,) = run.wait_for(WAITING)
    stop_and_finish(run, plain, match)
    lines = [line for line in run.lines if "cannot write" in line]
    assert len(lines) == 1, run.output
    assert lines[0].endswith(
        f"smdebug-local: cannot write {full_state_folder}/state.json (No space left on device); "
        "the run goes on, but smdebug-local status and the VS Code extension will not see it; "
        "free space on (or make writable) the workspace's .smdebug-local folder"
    ), lines[0]
    assert not os.path.exists(full_state_folder / "state.json")


def _dockerd_pid() -> int | None:
    found = subprocess.run(["pgrep", "-xo", "dockerd"], capture_output=True, text=True).stdout
    return int(found) if found.strip() else None


def _docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def _wait(what: str, condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(0.5)


def test_a_docker_restart_mid_run_ends_the_run_in_one_line_and_leaves_nothing(
    plain, py39_image, start_run
):
    """The daemon dies (SIGKILL, as a crash or a forced restart) while training waits for
    its debugger: the run fails saying so in one line; once the daemon is back (started as
    dev/setup.sh starts it; it stops the containers it finds), the run's end removes its
    containers."""
    run = start_run(["driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    run.wait_for(WAITING)
    pid = _dockerd_pid()
    assert pid is not None, "no dockerd process to restart"
    os.kill(pid, signal.SIGKILL)
    try:
        _wait("dockerd stopped", lambda: _dockerd_pid() is None)
        run.wait_for(re.compile(r"smdebug-local: error: the Docker engine stopped answering"))
    finally:
        with open("/tmp/smdebug-local-dockerd.log", "a") as log:
            subprocess.Popen(
                ["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait("dockerd answering again", _docker_answers)
    assert run.finish(timeout=120) != 0
    errors = [line for line in run.lines if line.startswith("smdebug-local: error:")]
    assert errors == [
        "smdebug-local: error: the Docker engine stopped answering during the run (restarted or "
        "stopped): the run's containers stopped with it; start the job again once Docker is back"
    ], run.output
    assert not run.saw("did not come back"), run.output
    # (the autouse fixture checks that no container of the run is left)

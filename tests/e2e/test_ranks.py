"""Distributed training: every rank of a torchrun job (torch_distributed, CPU, gloo) and of
an MPI job (the training toolkit's own mpirun) is a debug target of its own, named by its
rank; --ranks limits which.

The job (projects/ranks) all-reduces each rank's number and stops at a line where the sum
is known: every rank must stop there, report its own rank and the same sum, and the job
must end with its model artifact, also after one rank was held paused for a while.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from test_connect_mode import _bridge_port
from test_pycharm import PYCHARM_BUILD
from test_serving import attach

from conftest import WAITING, copy_project, marker_line
from pydevd_server import PydevdServer

pytestmark = pytest.mark.e2e

# How long one rank is held at the breakpoint while the others wait in a collective: past a
# minute (gloo's process group itself allows 30 min; the payload warns when a pause outlasts
# a group's timeout).
RANK_PAUSE = float(os.environ.get("SMDEBUG_LOCAL_TEST_RANK_PAUSE", "70"))
ARTIFACT = re.compile(r"model artifact: file://\S+model\.tar\.gz")
# The image fixture each launcher needs (MPI: Open MPI, sshd and mpi4py in the image).
IMAGES = {"torchrun": "training_image", "mpi": "mpi_training_image"}


@pytest.fixture
def ranks_project(tmp_path: Path) -> Path:
    return copy_project("ranks", tmp_path / "ranks")


def run_job(
    start_run, project: Path, image: str, *flags: str, hosts: int = 1, launcher: str = "torchrun"
):
    return start_run(
        [*flags, "driver.py"],
        cwd=project,
        env={
            "TEST_IMAGE": image,
            "TEST_HOSTS": str(hosts),
            "TEST_RANKS_PER_HOST": "2",
            "TEST_DISTRIBUTION": launcher,
        },
    )


def stop_every_rank(run, project: Path, count: int):
    """Attach to ``count`` ranks; each stops at the breakpoint: ``{rank: (stop, debugger)}``."""
    source = project / "src" / "train.py"
    line = marker_line(source, "# ranks breakpoint")
    waiting = run.wait_for(WAITING, count=count, timeout=300)
    assert all(m["rank"] is not None for m in waiting), [m.group(0) for m in waiting]
    assert sorted(int(m["rank"]) for m in waiting) == list(range(count))
    assert {m["world"] for m in waiting} == {str(count)}
    assert len({m["port"] for m in waiting}) == count, "two ranks on one port"
    # Each rank is on the port the state file (and the IDE's configurations) name for it.
    doc = json.loads((project / ".smdebug-local" / "state.json").read_text())
    planned = {
        endpoint: rank
        for target in doc["targets"]
        for endpoint, rank in zip(target["endpoints"], target.get("ranks") or [])
    }
    assert {f"{m['bind']}:{m['port']}": int(m["rank"]) for m in waiting} == planned
    # Attach to every rank first: a rank reaches the line only once all joined the all-reduce.
    debuggers = [(match, attach(match, {source: [line]})) for match in waiting]
    stopped = {}
    for match, debugger in debuggers:
        stop = debugger.next_stop(timeout=180)
        frame = stop.frames()[0]
        assert (Path(frame["source"]["path"]), frame["line"]) == (source, line), frame
        rank = int(stop.evaluate("rank"))
        assert rank == int(match["rank"]), f"{match.group(0)} is rank {rank}"
        assert stop.evaluate("value.item()") == str(float(sum(range(count))))
        stopped[rank] = (stop, debugger)
    return stopped


def launched_by(run, launcher: str, hosts: int) -> None:
    """MPI: the ranks really are mpirun's (``--host algo-1-xxxxx:2,... -np N``): the toolkit
    starts sshd on every host, then mpirun, which reaches other hosts' ranks over ssh (their
    orted gets that host's environment from /etc/environment, written by the toolkit)."""
    if launcher == "mpi":
        host_list = ",".join(rf"algo-{h}-\w+:2" for h in range(1, hosts + 1))
        run.wait_for(
            re.compile(rf"mpirun --host {host_list} -np {2 * hosts} .* -m mpi4py train\.py")
        )


# On MPI, the launcher with the most moving parts (mpirun, ssh, orted); torchrun's ranks
# each stop in test_two_hosts_two_ranks_each (and in the extension's tests).
@pytest.mark.parametrize("launcher", ["mpi"])
def test_every_rank_stops_and_a_long_pause_does_not_fail_the_job(
    ranks_project, launcher, request, start_run
):
    image = request.getfixturevalue(IMAGES[launcher])
    run = run_job(start_run, ranks_project, image, launcher=launcher)
    stopped = stop_every_rank(run, ranks_project, 2)
    launched_by(run, launcher, 1)
    stopped[0][0].resume()  # rank 0 goes on to the barrier and waits there for rank 1
    time.sleep(RANK_PAUSE)
    assert run.proc.poll() is None, run.output
    stopped[1][0].resume()
    for _, debugger in stopped.values():
        debugger.close()
    assert run.finish(timeout=240) == 0, run.output
    run.wait_for(ARTIFACT)
    assert run.saw("rank 0/2: sum of ranks 1.0") and run.saw("rank 1/2: sum of ranks 1.0")


@pytest.mark.parametrize("launcher", ["torchrun", "mpi"])
def test_two_hosts_two_ranks_each(ranks_project, launcher, request, start_run):
    image = request.getfixturevalue(IMAGES[launcher])
    run = run_job(start_run, ranks_project, image, hosts=2, launcher=launcher)
    stopped = stop_every_rank(run, ranks_project, 4)
    hosts = {m["host"] for m in run.wait_for(WAITING, count=4)}
    assert hosts == {"algo-1", "algo-2"}
    launched_by(run, launcher, 2)
    for stop, debugger in stopped.values():
        stop.resume()
        debugger.close()
    assert run.finish(timeout=300) == 0, run.output
    run.wait_for(ARTIFACT)


@pytest.mark.parametrize("launcher", ["torchrun", "mpi"])
def test_only_the_ranks_asked_for_are_debugged(ranks_project, launcher, request, start_run):
    image = request.getfixturevalue(IMAGES[launcher])
    run = run_job(start_run, ranks_project, image, "--ranks", "0", launcher=launcher)
    (waiting,) = run.wait_for(WAITING, timeout=300)
    assert waiting["rank"] == "0", waiting.group(0)
    launched_by(run, launcher, 1)
    run.wait_for(
        re.compile(
            r"smdebug-local: training algo-1 rank 1/2 \(PyTorch\) runs without a debugger "
            r"\(--ranks 0\)"
        )
    )
    source = ranks_project / "src" / "train.py"
    debugger = attach(waiting, {source: [marker_line(source, "# ranks breakpoint")]})
    stop = debugger.next_stop(timeout=180)
    assert stop.evaluate("rank") == "0"
    stop.resume()
    debugger.close()
    assert run.finish(timeout=240) == 0, run.output
    run.wait_for(ARTIFACT)
    assert not [m for m in map(WAITING.search, run.lines) if m and m["rank"] == "1"]


def test_pycharm_debug_server_gets_every_rank(ranks_project, training_image, start_run):
    """--ide pycharm, torchrun 1 host x 2 ranks: each rank connects to the one Debug Server
    (PyCharm takes a connection per process) and stops at the breakpoint; the job ends."""
    bridge, port = _bridge_port()
    source = ranks_project / "src" / "train.py"
    line = marker_line(source, "# ranks breakpoint")
    server = PydevdServer(
        bridge, port, (str(ranks_project / "src"), "/opt/ml/code"), [(str(source), line)]
    )
    try:
        run = run_job(
            start_run,
            ranks_project,
            training_image,
            "--ide",
            "pycharm",
            "--pycharm-build",
            PYCHARM_BUILD,
            "--port",
            str(port),
        )
        stops = [server.next_suspend(timeout=300) for _ in range(2)]
        assert len(server.connections) == 2, "one Debug Server connection per rank"
        assert {(s.file, s.line) for s in stops} == {(str(source), line)}
        assert stops[0].conn is not stops[1].conn
        for stop in stops:
            server.resume(stop)
        assert run.finish(timeout=240) == 0, run.output
    finally:
        server.close()
    for rank in (0, 1):
        assert run.saw(
            f"training algo-1 rank {rank}/2 (PyTorch) connecting to PyCharm debug server"
        ), run.output
    run.wait_for(ARTIFACT)

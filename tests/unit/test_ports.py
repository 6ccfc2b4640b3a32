"""Debug port allocation."""

from __future__ import annotations

import socket

import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.ports import PortAllocator, Reservations, is_free


def probe_busy(*busy: int):
    return lambda port, bind: port not in busy


def test_unique_increasing_ports_skipping_busy_ones():
    ports = PortAllocator(5678, probe=probe_busy(5679, 5681))
    assert [ports.allocate() for _ in range(3)] == [5678, 5680, 5682]


def test_default_start_moves_past_a_taken_port():
    assert PortAllocator(5678, probe=probe_busy(5678)).allocate() == 5679


def test_explicit_port_must_be_free():
    ports = PortAllocator(5678, explicit=True, probe=probe_busy(5678))
    with pytest.raises(SmdebugError, match=r"5678 on 127\.0\.0\.1 is already in use.*--port"):
        ports.check()
    with pytest.raises(SmdebugError):
        ports.allocate()


def test_an_explicit_port_pins_every_port_of_the_run():
    # The IDE's attach configurations name 6000, 6001, ...: a taken one is never moved.
    ports = PortAllocator(6000, explicit=True, probe=probe_busy(6002))
    ports.check()
    assert [ports.allocate() for _ in range(2)] == [6000, 6001]
    with pytest.raises(
        SmdebugError,
        match=r"^debug port 6002 on 127\.0\.0\.1 is already in use \(--port 6000 pins this "
        r"run's ports to 6000, 6000\+1, \.\.\. as the IDE's configurations name them\); "
        r"free it, or choose another --port \(and `init vscode --port` with it\)$",
    ):
        ports.allocate()
    with pytest.raises(SmdebugError, match="6002"):  # asked again: still 6002, never 6003
        ports.allocate()


def test_pinned_ports_are_reused_after_release_in_allocation_order():
    ports = PortAllocator(6000, explicit=True, probe=probe_busy())
    assert [ports.allocate() for _ in range(3)] == [6000, 6001, 6002]
    ports.release([6000])  # a watch-mode rerun of training: the same port again
    assert ports.allocate() == 6000
    assert ports.allocate() == 6003


def test_without_an_explicit_port_a_taken_one_is_still_skipped():
    ports = PortAllocator(6000, probe=probe_busy(6001))
    assert [ports.allocate() for _ in range(2)] == [6000, 6002]


def test_exhausted_range():
    ports = PortAllocator(65535, probe=probe_busy(65535))
    with pytest.raises(SmdebugError, match="no free debug port"):
        ports.allocate()


def test_is_free_sees_a_real_listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not is_free(port)
    assert is_free(port)


def test_a_port_claimed_by_another_process_is_skipped(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
                "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)"
            ),
            str(tmp_path / "5678.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        mine = Reservations(tmp_path)
        ports = PortAllocator(5678, probe=lambda port, bind: mine.claim(port))
        assert ports.allocate() == 5679
        assert mine.claim(5679)  # idempotent for the owner
    finally:
        holder.kill()
        holder.wait()
    assert mine.claim(5678)  # released when its holder died
    mine.release()
    assert Reservations(tmp_path).claim(5679)

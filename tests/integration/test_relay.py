"""The run's relay in front of a real debugpy adapter with the payload's door on, no Docker.

The debugged script stands in for a container's process: its adapter (or pydevd itself, as
model-server workers are served) listens on the port Docker would publish, and lets in only a client that opens with the run's secret. The relay
(smdebug_local.relay) is the endpoint users attach to. What each path gets: a DAP client
through the relay stops at its breakpoint; one straight at the adapter's port, or one the
relay does not let in, gets no byte of DAP.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from smdebug_local.debuggers import debugpy as debugpy_cache
from smdebug_local.payload._smdebug_local_door import line_for
from smdebug_local.ports import PortAllocator
from smdebug_local.relay import Relay

import door_debuggee
from dap import Debugger

SECRET = "0123456789abcdef0123456789abcdef"
SCRIPT = "total = sum(range(5))\nprint('total', total)  # relay breakpoint\n"
# A DAP request as an IDE sends it first.
INITIALIZE = b'Content-Length: 56\r\n\r\n{"seq": 1, "type": "request", "command": "initialize"}  '


@pytest.fixture(scope="module")
def debugpy_dir() -> Path:
    return debugpy_cache.prepare(log=lambda m: None)


REPO = Path(__file__).resolve().parents[2]
# debugpy 1.8.22 (this Python) and 1.8.21 (Python 3.9: its payload test venv, dev/setup.sh).
PYTHONS = {
    "1.8.22": sys.executable,
    "1.8.21": str(REPO / ".venv-payload" / "3.9" / "bin" / "python"),
}


@pytest.fixture(
    params=[(build, in_process) for in_process in (False, True) for build in PYTHONS],
    ids=lambda p: p[0] + ("-in-process" if p[1] else ""),
)
def debuggee(request, tmp_path, debugpy_dir):
    """The script waiting for a debugger behind the secret door, under each debugpy build
    the containers get, with its adapter and without (in process): ``(process, adapter
    port, script)``."""
    code = tmp_path / "code"
    code.mkdir()
    script = code / "train.py"
    script.write_text(SCRIPT)
    port = PortAllocator(21000).allocate()
    build, in_process = request.param
    proc = door_debuggee.start(script, port, debugpy_dir, SECRET, PYTHONS[build], in_process)
    yield proc, port, script
    proc.kill()
    proc.wait()


def answer_to_initialize(port: int, first: bytes = b"") -> bytes:
    """What a client that sends ``first`` and then a DAP ``initialize`` gets within 3 s."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(first + INITIALIZE)
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (TimeoutError, ConnectionResetError):  # reset: closed with our bytes unread
            pass
        return received


def test_through_the_relay_a_debugger_stops_and_nothing_else_gets_a_session(debuggee):
    proc, adapter_port, script = debuggee
    # Straight at the adapter (a container's published port, its Docker network address),
    # without the secret or with a wrong one: closed without a byte.
    assert answer_to_initialize(adapter_port) == b""
    assert answer_to_initialize(adapter_port, line_for("f" * 32)) == b""

    endpoint = PortAllocator(22000).allocate()
    relay = Relay(SECRET, "127.0.0.1", lambda container, port: adapter_port)
    refusing = Relay(SECRET, "127.0.0.1", lambda c, p: adapter_port, allowed=lambda sock: False)
    other = PortAllocator(endpoint + 1).allocate()
    try:
        relay.route(endpoint, (None, "algo-1"), adapter_port)
        refusing.route(other, (None, "algo-1"), adapter_port)
        # Another account (the kernel names the socket's owner): closed without a byte.
        assert answer_to_initialize(other) == b""
        debugger = Debugger(
            "127.0.0.1",
            endpoint,
            [{"localRoot": str(script.parent), "remoteRoot": str(script.parent)}],
            {str(script): [2]},
        )
        debugger.attach()
        stop = debugger.next_stop(timeout=30)
        assert stop.evaluate("total") == "10"
        stop.resume(wait=False)
        debugger.close()
        assert proc.wait(timeout=30) == 0
        assert "total 10" in proc.stdout.read()
    finally:
        relay.close()
        refusing.close()
    with pytest.raises(OSError):  # released: nothing listens any more
        socket.create_connection(("127.0.0.1", endpoint), timeout=1).close()


def test_a_container_not_there_yet_is_a_closed_connection():
    endpoint = PortAllocator(23000).allocate()
    relay = Relay(SECRET, "127.0.0.1", lambda container, port: None)
    relay.route(endpoint, (None, "algo-1"), 5678)
    try:
        started = time.monotonic()
        assert answer_to_initialize(endpoint) == b""
        assert time.monotonic() - started < 2
    finally:
        relay.close()

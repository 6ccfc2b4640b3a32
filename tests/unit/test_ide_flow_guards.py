"""What keeps the VS Code flow honest outside the generated files: "Tasks: Terminate Task"
(SIGHUP) cleans up as SIGTERM does, and connect mode gives up on a listener that never
speaks instead of hanging in debugpy.connect()."""

from __future__ import annotations

import signal
import socket
import threading
import time

import pytest

from smdebug_local.payload import _smdebug_local_connect as back
from smdebug_local.runner import EXIT_INTERRUPTED, _Interruption


@pytest.mark.parametrize(
    "signum, status",
    [(signal.SIGHUP, 129), (signal.SIGTERM, 143), (signal.SIGINT, EXIT_INTERRUPTED)],
)
def test_sighup_ends_the_run_as_sigterm_does(signum, status):
    interruption = _Interruption()
    expected = KeyboardInterrupt if signum == signal.SIGINT else SystemExit
    with pytest.raises(expected) as raised:
        interruption.handler(signum, None)
    if expected is SystemExit:
        assert raised.value.code == status
    assert interruption.stop() == status


def test_run_script_installs_the_handler_for_sighup(tmp_path, monkeypatch):
    from smdebug_local import runner

    seen = {}

    class Diagnosis:
        def failures(self):
            return []

    class Session:  # what run_script needs of a started session
        watch = None
        diagnosis = Diagnosis()

    def start(options, exporter=None):
        seen["handler"] = signal.getsignal(signal.SIGHUP)
        return Session()

    monkeypatch.setattr(runner.DebugSession, "start", staticmethod(start))
    monkeypatch.setattr(runner.api, "activate", lambda session: session)
    monkeypatch.setattr(runner.api, "disable", lambda: None)
    script = tmp_path / "driver.py"
    script.write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGHUP)\n"
        "import time\ntime.sleep(5)\nraise SystemExit(0)\n"
    )
    before = signal.getsignal(signal.SIGHUP)
    status = runner.run_script(str(script), [], runner.DebugOptions())
    assert status == 129  # the script did not carry on after the hang-up
    assert signal.getsignal(signal.SIGHUP) == before  # restored


class _Debugpy:
    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    def connect(self, address):
        self.connects.append(address)


def _listener(respond: bytes | None):
    """A loopback listener: sends ``respond`` to each connection, or never accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    if respond is not None:

        def serve() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                conn.sendall(respond)
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
    return server


def test_connect_gives_up_at_once_on_a_listener_that_never_speaks():
    server = _listener(None)  # accepts (the kernel's backlog) but never says a word
    port = server.getsockname()[1]
    debugpy = _Debugpy()
    started = time.monotonic()
    try:
        with pytest.raises(
            RuntimeError,
            match=(
                rf"^something on 127.0.0.1:{port} accepted the connection but sent nothing "
                r"in 0.5s: not a debugger \(an IDE listener left behind, e.g. by a reloaded "
                rf"VS Code window\?\); end the process holding port {port} on the host, then "
                r"start your IDE's listen configuration again$"
            ),
        ):
            back.connect(debugpy, ["127.0.0.1", port], 300, answer_within=0.5)
    finally:
        server.close()
    assert debugpy.connects == []  # debugpy.connect() would have hung for good
    assert time.monotonic() - started < 5


def test_connect_goes_on_when_the_listener_speaks_first_as_debugpys_adapter_does():
    server = _listener(b"Content-Length: 80\r\n\r\n")
    port = server.getsockname()[1]
    debugpy = _Debugpy()
    try:
        back.connect(debugpy, ["127.0.0.1", port], 300, answer_within=5)
    finally:
        server.close()
    assert debugpy.connects == [("127.0.0.1", port)]


def test_debugpys_adapter_speaks_first_to_a_debuggee(monkeypatch):
    """The premise, checked on the debugpy this venv has (the builds containers use come
    from the same releases): a real adapter, serving debuggees, answers our probe."""
    # clients first, as the adapter's own __main__ imports them (else a circular import)
    from debugpy.adapter import clients, servers  # noqa: F401
    from debugpy.common import log

    monkeypatch.setattr(log.stderr, "levels", ())  # it logs that it dropped our probes
    host, port = servers.serve("127.0.0.1", 0)
    try:
        debugpy = _Debugpy()
        back.connect(debugpy, [host, port], 10, answer_within=5)
        assert debugpy.connects == [(host, port)]
        time.sleep(0.5)  # the adapter drops our probe: let it log that while silenced
    finally:
        servers.stop_serving()

"""A headless Debug Adapter Protocol client that attaches to debugpy the way VS Code does.

Test tooling, not product code. It follows the sequence VS Code uses against debugpy:
``initialize`` -> ``attach`` (response deferred) -> ``initialized`` event ->
``setBreakpoints`` per file -> ``setExceptionBreakpoints`` -> ``configurationDone`` -> the
``attach`` response. For each ``debugpyAttach`` event (a child process of the debuggee,
e.g. a DataLoader worker) it opens one more connection to the same port and attaches to
the child with the same breakpoints -- a client that ignored these would leave the children
blocked forever, exactly as a careless IDE would.
"""

from __future__ import annotations

import itertools
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


class DapError(AssertionError):
    """The adapter refused a request or an expected message did not arrive in time."""


def _connect(
    host: str, port: int, timeout: float, peek: bool = True, preamble: bytes = b""
) -> socket.socket:
    """Connect once the adapter really talks.

    Docker's port proxy accepts a TCP connection even when nothing listens inside the
    container yet, then drops it; so a connection counts once the adapter's first bytes
    (it sends ``output`` events at once) have arrived, or once it stayed open for a second
    without a byte (pydevd serving in process, with no adapter, waits for the client). An adapter on the host
    (``peek=False``) is trusted as soon as it accepts: it speaks only when spoken to.
    ``preamble``: sent first (the run's secret line, to reach an adapter without the relay).
    """
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            sock = socket.create_connection((host, port), timeout=2)
            sock.sendall(preamble)
            if not peek:
                sock.settimeout(None)
                return sock
            sock.settimeout(1)
            try:
                first = sock.recv(1, socket.MSG_PEEK)
            except socket.timeout:
                first = b"-"  # open and silent: pydevd serving in process speaks when spoken to
            if first:
                sock.settimeout(None)
                return sock
            sock.close()
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise DapError(f"no debug adapter answered on {host}:{port} within {timeout}s ({last})")


class Connection:
    """One DAP connection: framing, request/response matching, an event log."""

    def __init__(
        self,
        host: str,
        port: int,
        name: str,
        timeout: float = 60,
        peek: bool = True,
        preamble: bytes = b"",
    ) -> None:
        self.name = name
        self.sock = _connect(host, port, timeout, peek, preamble)
        self._seq = itertools.count(1)
        self._send_lock = threading.Lock()
        self._responses: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        self.closed = False
        self.on_event = None  # callable(connection, event) for asynchronous handling
        threading.Thread(target=self._read, name=f"dap-{name}", daemon=True).start()

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                header, buf = buf.split(b"\r\n\r\n", 1)
                length = next(
                    int(line.split(b":")[1])
                    for line in header.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(buf) < length:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                message, buf = json.loads(buf[:length]), buf[length:]
                self._dispatch(message)
        except OSError:
            return
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def _dispatch(self, message: dict) -> None:
        if message["type"] == "response":
            with self._cond:
                self._responses[message["request_seq"]] = message
                self._cond.notify_all()
        elif message["type"] == "event":
            with self._cond:
                self._events.append(message)
                self._cond.notify_all()
            if self.on_event:
                self.on_event(self, message)
        elif message["type"] == "request":  # reverse request we do not support
            self._write(
                {
                    "type": "response",
                    "request_seq": message["seq"],
                    "success": False,
                    "command": message["command"],
                    "message": "not supported",
                }
            )

    def _write(self, message: dict) -> None:
        message["seq"] = next(self._seq)
        data = json.dumps(message).encode()
        with self._send_lock:
            self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)

    def send(self, command: str, arguments: dict | None = None) -> int:
        message = {"type": "request", "command": command, "arguments": arguments or {}}
        self._write(message)
        return message["seq"]

    def response(self, seq: int, timeout: float = 60) -> dict:
        with self._cond:
            ok = self._cond.wait_for(lambda: seq in self._responses or self.closed, timeout)
            if seq not in self._responses:
                raise DapError(
                    f"[{self.name}] no response to request {seq} ({'closed' if ok else 'timeout'})"
                )
            resp = self._responses.pop(seq)
        if not resp.get("success"):
            raise DapError(f"[{self.name}] {resp.get('command')} failed: {resp.get('message')}")
        return resp.get("body") or {}

    def request(self, command: str, arguments: dict | None = None, timeout: float = 60) -> dict:
        return self.response(self.send(command, arguments), timeout)

    def wait_event(self, event: str, timeout: float = 60, after: int = 0) -> dict:
        """The first ``event`` logged at index >= ``after``."""

        def find():
            for e in self._events[after:]:
                if e["event"] == event:
                    return e
            return None

        with self._cond:
            self._cond.wait_for(lambda: find() is not None or self.closed, timeout)
            found = find()
        if found is None:
            raise DapError(f"[{self.name}] no {event!r} event within {timeout}s")
        return found

    def events(self, event: str) -> list[dict]:
        with self._cond:
            return [e for e in self._events if e["event"] == event]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@dataclass
class Stop:
    """A ``stopped`` event, with the connection (process) it came from."""

    conn: Connection
    thread_id: int
    reason: str

    def frames(self) -> list[dict]:
        return self.conn.request("stackTrace", {"threadId": self.thread_id})["stackFrames"]

    def locals(self, frame: dict | None = None) -> dict[str, dict]:
        """Variables of the innermost (or given) frame's first scope, by name."""
        frame = frame or self.frames()[0]
        scopes = self.conn.request("scopes", {"frameId": frame["id"]})["scopes"]
        ref = scopes[0]["variablesReference"]
        variables = self.conn.request("variables", {"variablesReference": ref})["variables"]
        return {v["name"]: v for v in variables}

    def evaluate(self, expression: str, frame: dict | None = None) -> str:
        frame = frame or self.frames()[0]
        return self.conn.request(
            "evaluate", {"expression": expression, "frameId": frame["id"], "context": "repl"}
        )["result"]

    def resume(self, wait: bool = True) -> None:
        """Continue; ``wait=False`` for a last resume after which the container may be gone
        before debugpy answers (e.g. a batch transform ends with its last request)."""
        if wait:
            self.conn.request("continue", {"threadId": self.thread_id})
        else:
            self.conn.send("continue", {"threadId": self.thread_id})


@dataclass
class Debugger:
    """Attach to ``host:port`` with breakpoints, following child processes."""

    host: str
    port: int
    path_mappings: list[dict]
    breakpoints: dict[str, list[int]]
    just_my_code: bool = False
    connections: list[Connection] = field(default_factory=list)
    stops: queue.Queue = field(default_factory=queue.Queue)
    errors: list[BaseException] = field(default_factory=list)
    children_ready: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    peek: bool = True  # False for an adapter on the host (see _connect)
    preamble: bytes = b""  # sent first on every connection (see _connect)

    def attach(self, timeout: float = 120) -> Connection:
        config = {
            "name": "smdebug-local test",
            "type": "debugpy",
            "request": "attach",
            "connect": {"host": self.host, "port": self.port},
            "pathMappings": self.path_mappings,
            "justMyCode": self.just_my_code,
        }
        return self._attach(config, "main", timeout)

    def _attach(self, config: dict, name: str, timeout: float = 60) -> Connection:
        conn = Connection(self.host, self.port, name, timeout, self.peek, self.preamble)
        conn.on_event = self._on_event
        self.connections.append(conn)
        conn.request(
            "initialize",
            {
                "clientID": "vscode",
                "clientName": "smdebug-local tests",
                "adapterID": "debugpy",
                "pathFormat": "path",
                "linesStartAt1": True,
                "columnsStartAt1": True,
                "supportsVariableType": True,
                "supportsRunInTerminalRequest": False,
            },
        )
        attach_seq = conn.send("attach", config)
        conn.wait_event("initialized", timeout)
        for file, lines in self.breakpoints.items():
            body = conn.request(
                "setBreakpoints",
                {
                    "source": {"path": file, "name": Path(file).name},
                    "breakpoints": [{"line": line} for line in lines],
                },
            )
            if len(body["breakpoints"]) != len(lines):
                raise DapError(f"setBreakpoints answered {body}")
        conn.request("setExceptionBreakpoints", {"filters": []})
        conn.request("configurationDone")
        conn.response(attach_seq, timeout)
        return conn

    def _on_event(self, conn: Connection, event: dict) -> None:
        if event["event"] == "stopped":
            body = event["body"]
            self.stops.put(Stop(conn, body["threadId"], body.get("reason", "")))
        elif event["event"] == "terminated":
            # As VS Code does: the debuggee ended, so end the session. debugpy holds an
            # exiting process until its client disconnects.
            threading.Thread(target=self._disconnect, args=(conn,), daemon=True).start()
        elif event["event"] == "debugpyAttach":
            # Attach to the child on another thread: this one must keep reading.
            def child() -> None:
                try:
                    config = dict(event["body"])
                    config["connect"] = {"host": self.host, "port": self.port}
                    config.setdefault("pathMappings", self.path_mappings)
                    config.setdefault("justMyCode", self.just_my_code)
                    pid = config.get("subProcessId", "?")
                    self._attach(config, f"child-{pid}")
                    self.children_ready.release()
                except BaseException as exc:
                    self.errors.append(exc)

            threading.Thread(target=child, daemon=True).start()

    @staticmethod
    def _disconnect(conn: Connection) -> None:
        try:
            conn.send("disconnect", {"terminateDebuggee": False})
        except OSError:
            pass

    def wait_for_children(self, count: int, timeout: float = 60) -> None:
        """Wait until ``count`` child processes are attached with breakpoints set."""
        deadline = time.monotonic() + timeout
        for _ in range(count):
            if not self.children_ready.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise DapError(
                    f"fewer than {count} child processes attached within {timeout}s; "
                    f"errors: {self.errors}"
                )

    def next_stop(self, timeout: float = 120) -> Stop:
        try:
            return self.stops.get(timeout=timeout)
        except queue.Empty:
            raise DapError(
                f"no breakpoint was hit within {timeout}s; errors: {self.errors}"
            ) from None

    def close(self) -> None:
        for conn in self.connections:
            try:
                conn.send("disconnect", {"terminateDebuggee": False})
            except OSError:
                pass
            conn.close()


class HostAdapter:
    """debugpy's adapter on the host, as VS Code starts it for a ``listen`` configuration.

    In connect-back mode the debuggee has no adapter of its own: it connects to this one,
    which listens where the attach configuration's ``listen`` says. The test client talks
    DAP to it on a loopback port (debugpy's "debugServer" mode).
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "debugpy.adapter",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ]
        )

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()


def listen(
    adapter: HostAdapter, config: dict, breakpoints: dict[str, list[int]], timeout: float = 300
) -> Debugger:
    """Run a ``"request": "attach"`` configuration with ``"listen"`` (e.g. one read from a
    launch.json) on ``adapter``; returns once a debuggee has connected to the listener and
    the breakpoints are set (as VS Code does)."""
    debugger = Debugger(
        "127.0.0.1", adapter.port, config.get("pathMappings", []), breakpoints, peek=False
    )
    debugger._attach(dict(config), "listen", timeout)
    return debugger

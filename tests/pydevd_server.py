"""A headless stand-in for PyCharm's "Python Debug Server": pydevd's line protocol, IDE side.

Test tooling, not product code. It does what PyCharm does when a debuggee connects to its
Debug Server: ``CMD_VERSION`` (breakpoints by id), ``CMD_SET_BREAK`` per breakpoint with
the path translated by the configuration's path mapping (local -> remote, as PyCharm does),
``CMD_RUN``; then it waits for ``CMD_THREAD_SUSPEND`` and resumes with
``CMD_THREAD_RUN``. Messages are ``<id>\\t<seq>\\t<quoted text>\\n`` (pydevd's
"quoted-line" protocol).
"""

from __future__ import annotations

import queue
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import unquote, unquote_plus

CMD_RUN = 101
CMD_THREAD_SUSPEND = 105
CMD_THREAD_RUN = 106
CMD_SET_BREAK = 111
CMD_VERSION = 501

_FRAME = re.compile(r'<frame id="[^"]*" name="[^"]*" file="([^"]*)" line="(\d+)"')
_THREAD = re.compile(r'<thread id="([^"]*)"')


@dataclass
class Suspend:
    thread_id: str
    file: str  # as the IDE shows it: the remote path translated back to the local one
    line: int
    # The debuggee's connection (PyCharm's Debug Server takes one per process: each rank).
    conn: socket.socket


class PydevdServer:
    """Listens like a PyCharm Debug Server configuration with one path mapping."""

    def __init__(
        self, host: str, port: int, mapping: tuple[str, str], breakpoints: list[tuple[str, int]]
    ) -> None:
        self.local_root, self.remote_root = mapping
        self.breakpoints = breakpoints
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(5)
        self.suspends: queue.Queue[Suspend] = queue.Queue()
        self.connections: list[socket.socket] = []
        self._seq = 1
        threading.Thread(target=self._accept, daemon=True).start()

    def _send(self, conn: socket.socket, cmd: int, text: str) -> None:
        self._seq += 2
        conn.sendall(f"{cmd}\t{self._seq}\t{text}\n".encode())

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _remote(self, local: str) -> str:
        return self.remote_root + local[len(self.local_root) :]

    def _local(self, remote: str) -> str:
        if remote.startswith(self.remote_root):
            return self.local_root + remote[len(self.remote_root) :]
        return remote

    def _session(self, conn: socket.socket) -> None:
        self._send(conn, CMD_VERSION, "1.1\tUNIX\tID")
        for number, (file, line) in enumerate(self.breakpoints, 1):
            self._send(
                conn,
                CMD_SET_BREAK,
                "\t".join(
                    [
                        str(number),
                        "python-line",
                        self._remote(file),
                        str(line),
                        "None",
                        "None",
                        "None",
                        "None",
                        "False",
                    ]
                ),
            )
        self._send(conn, CMD_RUN, "")
        buffer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                cmd, _, text = raw.decode("utf-8", "replace").split("\t", 2)
                if int(cmd) == CMD_THREAD_SUSPEND:
                    xml = unquote_plus(text)
                    thread = _THREAD.search(xml)
                    frame = _FRAME.search(xml)
                    if thread and frame:
                        self.suspends.put(
                            Suspend(thread[1], self._local(unquote(frame[1])), int(frame[2]), conn)
                        )

    def next_suspend(self, timeout: float = 120) -> Suspend:
        try:
            return self.suspends.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no breakpoint was hit within {timeout}s") from None

    def resume(self, suspend: Suspend) -> None:
        self._send(suspend.conn, CMD_THREAD_RUN, suspend.thread_id)

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.sock.close()

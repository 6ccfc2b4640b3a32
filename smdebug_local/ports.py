"""Host-port allocation for published debug ports: unique per container, never in use."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

try:
    import fcntl
except ImportError:  # Windows: no flock; concurrent runs fall back to the socket probe
    fcntl = None  # type: ignore[assignment]

from .messages import NO_FREE_PORT, PORT_PINNED

MAX_PORT = 65535


def is_free(port: int, bind: str = "127.0.0.1") -> bool:
    """True if nothing on this machine holds ``bind:port`` (what Docker is about to publish).

    SO_REUSEADDR as Docker's port proxy uses it: connections of a previous run lingering in
    TIME_WAIT do not make a port busy, so a rerun keeps its port (and the user's saved
    launch configuration keeps working); a listener still does.
    """
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind, port))
        except OSError:
            return False
    return True


class PortAllocator:
    """Hands out increasing free ports from ``start``, skipping those already handed out.

    With ``explicit=True`` (the user asked for ``start``) every port is pinned: the run's
    ports are ``start``, ``start + 1``, ... in allocation order (training hosts, then
    serving workers), exactly as ``init vscode --port`` writes them into the attach
    configurations, and a taken one stops the run instead of moving it. A moved port would
    leave the IDE's configuration naming a port that someone else's container may hold, and
    the IDE would attach to that container.
    """

    def __init__(
        self,
        start: int,
        *,
        bind: str = "127.0.0.1",
        explicit: bool = False,
        probe: Callable[[int, str], bool] = is_free,
        reservations: Reservations | None = None,
    ) -> None:
        self.reservations = reservations  # released by close()
        self._start = start
        self._cursor = start
        self._bind = bind
        self._explicit = explicit
        self._probe = probe
        self._given: set[int] = set()

    def check(self) -> None:
        """Fail now, with the fix, if the user's explicit port is taken."""
        if self._explicit and not self._given:
            self._pinned(self._cursor)

    def allocate(self) -> int:
        """The next free port; raises :class:`~smdebug_local.errors.SmdebugError` if none is
        left, or if the next pinned port (explicit start) is taken."""
        if self._explicit:
            port = self._cursor
            while port in self._given:
                port += 1
            return self._take(self._pinned(port))
        port = self._cursor
        while port <= MAX_PORT:
            if port not in self._given and self._probe(port, self._bind):
                return self._take(port)
            port += 1
        raise NO_FREE_PORT.error(start=self._cursor, end=MAX_PORT)

    def release(self, ports) -> None:
        """Give ``ports`` back: the next allocations reuse them first (a rerun keeps the
        port its predecessor had, which the IDE's attach configuration names)."""
        for port in ports:
            if port in self._given:
                self._given.discard(port)
                self._cursor = min(self._cursor, port)

    def close(self) -> None:
        """Let other runs have this run's ports (drop the reservations)."""
        if self.reservations is not None:
            self.reservations.release()

    def _pinned(self, port: int) -> int:
        """``port`` if it is free; else the error naming it and the fix (never a move)."""
        if port > MAX_PORT:
            raise NO_FREE_PORT.error(start=self._start, end=MAX_PORT)
        if not self._probe(port, self._bind):
            raise PORT_PINNED.error(port=port, bind=self._bind, start=self._start)
        return port

    def _take(self, port: int) -> int:
        self._given.add(port)
        self._cursor = port + 1
        return port


def reserve(start: int, *, bind: str, explicit: bool, directory: Path) -> PortAllocator:
    """A run's host ports: free here, and not claimed by a run starting alongside (locks
    under ``directory``, held until ``close()``); an explicit ``start`` taken fails now."""
    reservations = Reservations(directory)
    ports = PortAllocator(
        start,
        bind=bind,
        explicit=explicit,
        reservations=reservations,
        probe=lambda port, bind: is_free(port, bind) and reservations.claim(port),
    )
    ports.check()
    return ports


class Reservations:
    """Ports this process has claimed, as exclusive locks on ``<directory>/<port>.lock``.

    Two runs started at the same moment would otherwise both find a port free -- nothing
    listens on it until Docker publishes it -- and the second container would fail to
    start. A lock is held until :meth:`release` or the process's end (the OS drops it even
    on ``kill -9``), so a killed run never keeps a port reserved.
    """

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._held: dict[int, TextIO] = {}

    def claim(self, port: int) -> bool:
        """True if ``port`` is now ours (or already was); False if another run holds it."""
        if port in self._held or fcntl is None:
            return True
        self._dir.mkdir(parents=True, exist_ok=True)
        handle = open(self._dir / f"{port}.lock", "a")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._held[port] = handle
        return True

    def release(self) -> None:
        for handle in self._held.values():
            handle.close()
        self._held.clear()

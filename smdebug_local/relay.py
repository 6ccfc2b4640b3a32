"""The run's debug endpoints on the host: the ports a debugger attaches to, this user's only.

A container's debug adapter is published by Docker on an ephemeral port of the host's
loopback and lets in only a connection that opens with the run's secret (the payload's
door, :mod:`smdebug_local.payload._smdebug_local_door`) -- every local account can reach
that port, and the container's address on the Docker network, but none knows the secret.
Each endpoint here (the port of the waiting line, of ``status``, of launch.json) accepts a
connection only from this user's own sockets, as the kernel's socket table says; then it
connects to the container's published port, sends the secret and passes the bytes both
ways. IDEs attach as before, with nothing to type.

Endpoints outlive their containers: a watch-mode rerun's container takes the same port, and
the endpoint forwards to it from then on. The relay's threads are marked as pydevd's own,
so a paused ``--debug-driver`` session does not freeze every container's session with it.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import threading
from collections.abc import Callable

from .payload._smdebug_local_door import line_for, owners_known, peer_is_owner

# Which container an endpoint forwards to: (its name, or None; its compose service).
Locator = tuple["str | None", str]
# (container, its debug port) -> the host port Docker published that on, or None (no such
# container, yet).
Published = Callable[[Locator, int], "int | None"]
CHUNK = 65536


def is_loopback(bind: str) -> bool:
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return bind == "localhost"


def checks_accounts(bind: str) -> bool:
    """True if endpoints on ``bind`` let in this user's own sockets only: loopback, on a
    system whose kernel says who owns a socket (Linux)."""
    return is_loopback(bind) and owners_known()


def _daemon(target: Callable[..., None], name: str, *args: object) -> None:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    # pydevd's marks for its own threads: never traced, never suspended at a breakpoint.
    thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
    thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    thread.start()


def splice(a: socket.socket, b: socket.socket) -> None:
    """Pass bytes both ways until either side closes; then close both."""
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [])
            for sock in readable:
                data = sock.recv(CHUNK)
                if not data:
                    return
                (b if sock is a else a).sendall(data)
    except OSError:
        pass
    finally:
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass


class Relay:
    """This run's endpoints: ``bind:port`` -> a container's debug port, through its door.

    A connection is let in if ``allowed`` says so: only this user's sockets, on a loopback
    ``bind`` where the kernel names sockets' owners (:func:`checks_accounts`); on another
    address (``--bind``) peers are other machines', which no table names.
    """

    def __init__(
        self,
        secret: str,
        bind: str,
        published: Published,
        *,
        allowed: Callable[[socket.socket], bool] = peer_is_owner,
    ) -> None:
        self._line = line_for(secret)
        self._bind = bind
        self._published = published
        self._allowed = allowed if checks_accounts(bind) else (lambda sock: True)
        self._lock = threading.Lock()
        self._routes: dict[int, tuple[Locator, int]] = {}
        self._listeners: dict[int, socket.socket] = {}

    def route(self, port: int, container: Locator, container_port: int) -> None:
        """Serve ``port`` for ``container``'s ``container_port`` (listening from the first
        call; a later call -- a rerun's container -- only changes where it forwards)."""
        with self._lock:
            self._routes[port] = (container, container_port)
            if port in self._listeners:
                return
            family = socket.AF_INET6 if ":" in self._bind else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._bind, port))
            listener.listen(16)
            self._listeners[port] = listener
        _daemon(self._accept, f"smdebug-local-relay-{port}", port, listener)

    def release(self, ports) -> None:
        """Stop serving ``ports`` (the run gave them up)."""
        with self._lock:
            closing = [self._listeners.pop(p) for p in ports if p in self._listeners]
            for port in ports:
                self._routes.pop(port, None)
        for listener in closing:
            _close(listener)

    def close(self) -> None:
        self.release(list(self._listeners))

    def _accept(self, port: int, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # released
            _daemon(self._serve, f"smdebug-local-relay-{port}-client", port, client)

    def _serve(self, port: int, client: socket.socket) -> None:
        try:
            if not self._allowed(client):
                _close(client)
                return
            with self._lock:
                route = self._routes.get(port)
            published = self._published(*route) if route is not None else None
            if published is None:  # no container (yet): like a port nothing listens on
                _close(client)
                return
            upstream = socket.create_connection(("127.0.0.1", published), timeout=5)
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.sendall(self._line)
        except OSError:
            _close(client)
            return
        splice(client, upstream)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in accept() on Linux
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass

"""smdebug-local's door on debugpy's adapter: who may open a debug session.

debugpy's adapter hands a debug session -- code execution in the process, which holds the
user's AWS credentials -- to any client that connects to its port. ``debugpy.listen``
starts the adapter as ``python .../debugpy/adapter ...`` with the debuggee's environment,
so this payload's sitecustomize runs in it too; the bootstrap then calls
:func:`install_from`,
which wraps the adapter's client listener: a connection reaches the adapter only once it
proved to be the run's own, else it is closed without a byte. Where pydevd serves the IDE
from inside the debugged process (no adapter: model-server workers), the bootstrap hands it
a :class:`GuardedServer` with the same check.

* ``"door": "secret:<hex>"`` (containers): the connection's first line is
  ``SMDEBUG-LOCAL <hex>``. Only the run's relay on the host knows it: a container's port is
  published on the host's loopback and the Docker network is routable from the host, so
  every local account can reach the adapter.
* ``"door": "owner"`` (the driver process on the host, ``--debug-driver``): the connecting
  socket belongs to this process's user, as the kernel's socket table says (Linux).

If the door cannot be put on, the adapter exits: no debugger rather than an open one.
Stdlib only, Python 3.8 syntax; also imported by the host package (:mod:`smdebug_local.relay`
reads :func:`socket_owner` and :data:`PREAMBLE`).
"""

import hmac
import json
import os
import socket
import sys
import threading

PREAMBLE = b"SMDEBUG-LOCAL "
# How long a client has to send its line; the line's bound (the secret is 32 hex digits).
LINE_TIMEOUT = 5.0
MAX_LINE = 128
TCP_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
# What debugpy's adapter calls the listener IDEs connect to (debugpy.common.sockets.serve).
CLIENT_LISTENER = "Client"
SOCKETS_MODULE = "debugpy.common.sockets"


def adapter_environment(door, environ, config_env="SMDEBUG_LOCAL"):
    """The environment debugpy's adapter is to start with (``debugpy.configure(pythonEnv=
    ...)``): this payload first on its PYTHONPATH and a configuration naming ``door`` --
    whatever the debugged process did to its own environment since it started, the adapter
    puts its door on."""
    here = os.path.dirname(os.path.abspath(__file__))
    inherited = environ.get("PYTHONPATH")
    env = dict(environ)
    env["PYTHONPATH"] = here + (os.pathsep + inherited if inherited else "")
    env[config_env] = json.dumps({"door": door})
    return env


def line_for(secret):
    """The line a client of a ``secret`` door sends first."""
    return PREAMBLE + secret.encode("ascii") + b"\n"


def _decode(text):
    """``0100007F:1F90`` (a /proc/net/tcp address) -> ``("127.0.0.1", 8080)``."""
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        host = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # four 32-bit words, each in host (little-endian) order
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        host = socket.inet_ntop(socket.AF_INET6, raw)
        if host.startswith("::ffff:") and "." in host:
            host = host[len("::ffff:") :]
    return host, int(port, 16)


def socket_owner(local, remote, tables=TCP_TABLES, read=None):
    """The UID owning the TCP socket bound to ``local`` and connected to ``remote`` (both
    ``(host, port)``), from the kernel's socket tables; None when no such socket is listed
    (not Linux, or the socket is in another network namespace)."""
    for table in tables:
        try:
            lines = (read or _read_lines)(table)
        except OSError:
            continue
        for line in lines[1:]:
            fields = line.split()
            if len(fields) < 8:
                continue
            try:
                if _decode(fields[1]) == tuple(local) and _decode(fields[2]) == tuple(remote):
                    return int(fields[7])
            except ValueError:
                continue
    return None


def owners_known(tables=TCP_TABLES):
    """True where the kernel says who owns a socket (Linux's /proc/net/tcp)."""
    return any(os.path.exists(t) for t in tables)


def _read_lines(path):
    with open(path) as f:
        return f.readlines()


def peer_is_owner(sock, uid=None, owner=socket_owner):
    """True if the other end of ``sock`` (a loopback connection) is a socket of ``uid``
    (this process's user by default)."""
    peer = sock.getpeername()[:2]
    here = sock.getsockname()[:2]
    found = owner(peer, here)
    return found is not None and found == (os.getuid() if uid is None else uid)


def knows_secret(sock, secret, timeout=LINE_TIMEOUT):
    """True if ``sock``'s first line is the ``secret`` door's; reads one byte at a time, so
    nothing after the line (the client's first DAP message) is consumed."""
    expected = line_for(secret)
    got = b""
    sock.settimeout(timeout)
    try:
        while len(got) < MAX_LINE and not got.endswith(b"\n"):
            byte = sock.recv(1)
            if not byte:
                return False
            got += byte
    except OSError:
        return False
    sock.settimeout(None)
    return hmac.compare_digest(got, expected)


def check_for(door):
    """The check a door configuration asks for (ValueError for one it does not know)."""
    if door == "owner":
        return peer_is_owner
    if isinstance(door, str) and door.startswith("secret:") and len(door) > len("secret:"):
        secret = door[len("secret:") :]
        return lambda sock: knows_secret(sock, secret)
    raise ValueError("unknown door %r" % (door,))


def guard(handler, check):
    """``handler`` (the adapter's per-connection callback), called only for connections
    that pass ``check``; each is checked on its own thread, so a client that sends nothing
    does not hold up the others."""

    def checked(sock):
        def run():
            try:
                allowed = check(sock)
            except Exception:
                allowed = False
            if allowed:
                handler(sock)
                return
            try:
                sock.close()
            except OSError:
                pass

        thread = threading.Thread(target=run, name="smdebug-local-door")
        thread.daemon = True
        thread.start()

    return checked


def _pydevd_thread(target, name, *args):
    """A daemon thread pydevd treats as its own: never traced, never paused at a breakpoint
    (the door runs inside the debugged process when pydevd serves the IDE itself)."""
    thread = threading.Thread(target=target, args=args, name=name)
    thread.daemon = True
    thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
    thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    thread.start()
    return thread


class GuardedServer(object):
    """A listening socket whose ``accept()`` returns only connections that pass ``check``.

    For pydevd's own server (``debugpy.listen(in_process_debug_adapter=True)``): with no
    adapter process, pydevd accepts IDE connections itself, through this object (given to
    it in place of the socket it would create). Connections are checked on threads of
    their own, so a client that sends nothing holds up no other.
    """

    def __init__(self, sock, check):
        import queue

        self._sock = sock
        self._check = check
        self._passed = queue.Queue()  # type: queue.Queue
        _pydevd_thread(self._accept_all, "smdebug-local-door")

    def _accept_all(self):
        while True:
            try:
                conn, addr = self._sock.accept()
            except OSError:
                self._passed.put(None)  # closed: pydevd's accept() fails as it would
                return
            _pydevd_thread(self._admit, "smdebug-local-door", conn, addr)

    def _admit(self, conn, addr):
        try:
            allowed = self._check(conn)
        except Exception:
            allowed = False
        if allowed:
            self._passed.put((conn, addr))
            return
        try:
            conn.close()
        except OSError:
            pass

    def listen(self, backlog=None):
        """Already listening (bound and listening before the port was announced)."""

    def settimeout(self, timeout):
        """pydevd's accept blocks; so does this one."""

    def getsockname(self):
        return self._sock.getsockname()

    def accept(self):
        passed = self._passed.get()
        if passed is None:
            self._passed.put(None)
            raise OSError("the debug port was closed")
        return passed

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
        except OSError:
            pass
        self._sock.close()
        self._passed.put(None)


def guard_module(sockets, check):
    """Wrap ``sockets.serve`` (debugpy.common.sockets) so its client listener is guarded."""
    serve = sockets.serve

    def serve_guarded(name, handler, *args, **kwargs):
        if name == CLIENT_LISTENER:
            handler = guard(handler, check)
        return serve(name, handler, *args, **kwargs)

    sockets.serve = serve_guarded


class _GuardOnImport(object):
    """A meta path finder: when the adapter imports debugpy's socket helpers, guard them."""

    def __init__(self, check):
        self.check = check

    def find_spec(self, name, path=None, target=None):
        if name != SOCKETS_MODULE:
            return None
        sys.meta_path.remove(self)
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None:
            _refuse("debugpy's socket module was not found")
            return None
        load, check = loader.exec_module, self.check

        def exec_module(module):
            load(module)
            guard_module(module, check)

        loader.exec_module = exec_module
        return spec


def _refuse(why):
    """Fail closed: the adapter does not start (debugpy.listen then fails in the debuggee,
    which runs without a debugger and says so)."""
    sys.stderr.write("smdebug-local: the debug adapter's door could not be put on (%s)\n" % why)
    sys.exit(3)


def install_from(raw):
    """In debugpy's adapter process, before it imports anything of debugpy's: guard its
    client listener with the door the configuration (``raw``, its JSON) names. A
    configuration without a door guards nothing (connect-back and PyCharm runs start no
    adapter that listens)."""
    try:
        door = json.loads(raw).get("door")
    except (ValueError, AttributeError):
        _refuse("its configuration is not readable")
    if not door:
        return
    if SOCKETS_MODULE in sys.modules:
        _refuse("debugpy was imported before the door")
    try:
        check = check_for(door)
    except ValueError as exc:
        _refuse(str(exc))
    sys.meta_path.insert(0, _GuardOnImport(check))

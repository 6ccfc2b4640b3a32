"""smdebug-local's in-container bootstrap: start debugpy inside the user's entry-point process.

This file runs *inside* SageMaker containers, imported by the ``sitecustomize.py`` next to
it, which smdebug-local puts first on ``PYTHONPATH``. Every Python interpreter in the
container therefore imports it, before ``__main__`` runs and with ``sys.argv`` already set,
so it can decide per process whether that process is the user's entry point (the training
script, not the toolkit's ``train`` launcher or ``pip``) and only then start debugpy.

Hard rules, because this code runs in images we do not control:

* stdlib only, and Python 3.8 syntax (the oldest Python a debugpy build supports);
* never break the user's process: any failure prints one ``smdebug-local:`` line to stderr
  and returns, so the user's code runs exactly as it would without debugging;
* leave ``__main__``, ``sys.argv`` and tracebacks untouched (we never wrap the script).

Configuration arrives as one JSON environment variable (``SMDEBUG_LOCAL``) written by the
host-side compose transform; see :func:`parse_config` for the keys. The modules beside it
are loaded only when used, in processes that are debugged: ``_smdebug_local_ranks`` (which
rank of a distributed job this is), ``_smdebug_local_connect`` (connect-back mode),
``_smdebug_local_pause`` (pause reports), ``_smdebug_local_pycharm`` (PyCharm's Debug
Server), ``_smdebug_local_hot`` (edited functions put into serving processes),
``_smdebug_local_bytecode`` (debugpy's bytecode compiled once per image),
``_smdebug_local_values`` (tensors in Variables) and ``_smdebug_local_door`` (in debugpy's
adapter process: who may attach).
"""

import fnmatch
import json
import os
import socket
import sys

CONFIG_ENV = "SMDEBUG_LOCAL"
# The pid of the process where debugpy runs, set there. Children inherit it: a child spawned
# by a debugged Python is handed to the debugger by debugpy itself, so it must not listen
# again. The same pid means the process exec'd another program: that one starts afresh.
ACTIVE_ENV = "SMDEBUG_LOCAL_ACTIVE"
# Serialises port choice between processes of one container that start at the same moment
# (model-server workers).
LOCK_FILE = "/tmp/.smdebug-local.lock"

# Which debugpy build serves which Python, newest first: (minimum Python, debugpy version).
# debugpy 1.8.22 requires Python >= 3.10 (on 3.9 its adapter crashes); 1.8.21 is the last
# release for 3.8 and 3.9. The host-side cache prepares exactly these versions.
DEBUGPY_BUILDS = (
    ((3, 10), "1.8.22"),
    ((3, 8), "1.8.21"),
)


def debugpy_version_for(version_info):
    """Return the debugpy version for a Python ``version_info``, or None if none fits."""
    for minimum, debugpy_version in DEBUGPY_BUILDS:
        if tuple(version_info[:2]) >= minimum:
            return debugpy_version
    return None


def _say(message):
    sys.stderr.write("smdebug-local: %s\n" % message)
    sys.stderr.flush()


def parse_config(raw):
    """Parse the JSON config; keys (all written by the host):

    role      -- "training", "serving", ... (for messages)
    host      -- short host name, e.g. "algo-1" (for messages)
    ports     -- [[container_port, "127.0.0.1:5678"], ...]: ports this container publishes,
                 with where the host publishes each; a process takes the first free one
    connect   -- ["host.docker.internal", 5678]: instead of listening, connect to the IDE
                 listening there (connect-back mode)
    wait      -- block the entry point until a debugger attaches
    match     -- fnmatch patterns for the entry point's absolute path
    mappings  -- [[local_root, remote_root], ...] (for messages)
    debugpy   -- directory holding one sub-directory per debugpy version
    status    -- a directory shared with the host where this process says while it is
                 paused at a breakpoint (watch mode must not restart it then)
    debugger  -- "debugpy" (default) or "pydevd-pycharm": connect to PyCharm's Debug Server
    defer     -- {"match": [patterns], "roots": [container dirs]}: in processes whose entry
                 point matches, start the debugger only right before the first module
                 under one of the roots is imported (see StartOnImport)
    pydevd_pycharm -- directory holding the pydevd-pycharm tree (for "pydevd-pycharm")
    ranks     -- [0, 2]: of a distributed job's ranks only these are debugged (all if absent)
    stacks    -- [{"label": "MMS", "match": [...], "args": [...], "env": {...},
                 "embedded": true, "processes": "worker", "in_process": true}, ...]: the
                 role's runtimes, which name a process (see _smdebug_local_ranks.stack_of);
                 "in_process": served with no adapter process (serve_in_process)
    auto_mapped -- the first mapping was found, not given (said in the waiting line)
    step      -- the SageMaker Pipelines step this container's job runs for (local
                 pipelines; named in every line, see _smdebug_local_ranks.where)
    door      -- "secret:<hex>" or "owner": who debugpy's adapter lets in (listen mode;
                 see _smdebug_local_door). Alone, it configures only an adapter (the
                 driver's, on the host).
    """
    config = json.loads(raw)
    if not isinstance(config, dict) or not (
        config.get("ports") or config.get("connect") or config.get("door")
    ):
        raise ValueError("%s is not a smdebug-local configuration" % CONFIG_ENV)
    return config


# Modules that run a script given after them: the training toolkit starts MPI and
# smdistributed ranks as `python -m mpi4py <entry point>`.
RUNNERS = ("mpi4py",)


def _module_path(module, cwd):
    """Best guess of the file ``python -m module`` will run, before it is imported: in
    ``cwd`` first (``python -m train``), then on sys.path (``python -m uvicorn``)."""
    parts = module.split(".")
    bases = [os.path.join(cwd, *parts)]
    try:
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(parts[0])
        locations = getattr(spec, "submodule_search_locations", None)
        for location in locations or ():
            bases.append(os.path.join(location, *parts[1:]))
        if spec is not None and locations is None and len(parts) == 1 and spec.origin:
            bases.append(os.path.splitext(spec.origin)[0])
    except (ImportError, ValueError):
        pass
    for base in bases:
        for candidate in (base + ".py", os.path.join(base, "__main__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def _command_line():
    """This interpreter's full argv (``sys.argv`` is only ``['-m']`` for ``-m`` at this point)."""
    orig = getattr(sys, "orig_argv", None)  # Python 3.10+
    if orig:
        return list(orig)
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def entry_point(argv, cwd, command_line=_command_line):
    """Absolute path of the program this interpreter is about to run, or None.

    ``argv`` is ``sys.argv`` as sitecustomize sees it: ``['script.py', ...]`` for a script,
    ``['-m', ...]`` for a module, ``['-c', ...]`` or ``['']`` for code and the REPL.
    ``command_line`` returns the full argv; it is only called for ``-m`` (every interpreter
    in the container runs this, so the common case stays cheap).
    """
    if not argv or argv[0] in ("", "-c"):
        return None
    if argv[0] == "-m":
        args = command_line()[1:]
        for i, arg in enumerate(args):
            module = args[i + 1] if arg == "-m" and i + 1 < len(args) else None
            if arg.startswith("-m") and len(arg) > 2:
                module = arg[2:]
            if module in RUNNERS:  # `python -m mpi4py train.py`: the script is the program
                rest = [a for a in args[i + (1 if arg != "-m" else 2) :] if not a.startswith("-")]
                return os.path.abspath(os.path.join(cwd, rest[0])) if rest else None
            if module is not None:
                return _module_path(module, cwd)
        return None
    return os.path.abspath(os.path.join(cwd, argv[0]))


def matches(path, patterns):
    """True if ``path`` (or its real path) matches one of the fnmatch ``patterns``."""
    if not path:
        return False
    candidates = {path, os.path.realpath(path)}
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def _mapping_text(config):
    """The primary path mapping (the one the process's own code runs from), in brackets."""
    pairs = config.get("mappings") or []
    if not pairs:
        return ""
    text = " (%s -> %s)" % tuple(pairs[0])
    if config.get("auto_mapped"):
        text += ", mapped automatically (the same files as the image's)"
    return text


def _read_text(path):
    with open(path) as f:
        return f.read()


def uses_gevent(argv, environ, cwd, read=_read_text):
    """True if this process is a gunicorn that will run gevent workers: ``-k gevent`` (any
    spelling) on its command line, in GUNICORN_CMD_ARGS, or in its configuration file."""
    if not any("gunicorn" in arg for arg in argv[:2]):  # the program, or `-m gunicorn`
        return False
    if any("gevent" in arg for arg in argv) or "gevent" in environ.get("GUNICORN_CMD_ARGS", ""):
        return True
    configs = [os.path.join(cwd, "gunicorn.conf.py")]
    for i, arg in enumerate(argv):
        if arg in ("-c", "--config") and i + 1 < len(argv):
            configs.append(argv[i + 1])
        elif arg.startswith("--config="):
            configs.append(arg.split("=", 1)[1])
    for path in configs:
        path = path[len("python:") :] if path.startswith("python:") else path
        try:
            if "gevent" in read(os.path.join(cwd, path)):
                return True
        except (OSError, UnicodeDecodeError):
            pass
    return False


def debugger_environment(environ, argv, cwd, gevent=uses_gevent):
    """Set what pydevd reads from the environment at import, unless the job sets it."""
    # Python 3.11+ warns about frozen modules at every start under a debugger; the warning
    # is about breakpoints in the stdlib's frozen modules, which users do not set here.
    environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # gevent's monkey-patching (gunicorn's gevent workers) needs pydevd's gevent mode: without
    # it a paused request's variables never arrive and the paused worker's other greenlets
    # go on answering requests. Only for gevent servers: in gevent mode pydevd does not
    # trace threads (gthread workers, Flask's server, waitress, uvicorn never stop).
    if "GEVENT_SUPPORT" not in environ and gevent(argv, environ, cwd):
        environ["GEVENT_SUPPORT"] = "True"


def _import_debugpy(config):
    version = debugpy_version_for(sys.version_info)
    if version is None:
        raise RuntimeError(
            "Python %d.%d is older than the debugpy builds smdebug-local ships support "
            "(3.8+): use an image with Python 3.8 or newer to debug this container"
            % tuple(sys.version_info[:2])
        )
    path = os.path.join(config.get("debugpy", "/opt/smdebug-local/debugpy"), version)
    if not os.path.isdir(os.path.join(path, "debugpy")):
        raise RuntimeError("debugpy %s is missing from %s" % (version, path))
    _compiled(path)
    sys.path.insert(0, path)
    try:
        import debugpy
    finally:
        # debugpy knows its own location from here on; keep sys.path as the user expects.
        sys.path.remove(path)
    return debugpy


def _compiled(tree):
    """Load debugpy's modules under ``tree`` from the bytecode the host keeps for this
    image, where it has it (_smdebug_local_bytecode); else they compile as before."""
    try:
        _sibling("_smdebug_local_bytecode").install(tree)
    except Exception:
        pass  # only slower


def _port_is_free(port):
    """True if nothing listens on ``port``. A port in TIME_WAIT (a reloaded worker's
    predecessor) counts as free, as debugpy's own listen (SO_REUSEADDR) can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


class _Lock(object):
    """An exclusive flock on LOCK_FILE; a no-op where that is impossible."""

    def __enter__(self):
        self._file = None
        try:
            import fcntl

            self._file = open(LOCK_FILE, "a")
            fcntl.flock(self._file, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()  # releases the lock


def _listen(debugpy, ports, probe=_port_is_free, slot=None, serve=None):
    """Listen on port number ``slot`` if it is free, else on the first free container
    port (with ``serve(port)`` if given, else debugpy's adapter); return its host
    endpoint."""
    with _Lock():
        preferred = [ports[slot]] if slot is not None and 0 <= slot < len(ports) else []
        for port, endpoint in preferred + list(ports):
            if probe(int(port)):
                if serve is None:
                    debugpy.listen(("0.0.0.0", int(port)))
                else:
                    serve(int(port))
                return endpoint
    raise RuntimeError(
        "all %d debug ports of this container are taken (more debuggable "
        "processes than ports)" % len(ports)
    )


def serve_in_process(debugpy, port, door):
    """Serve the IDE from pydevd inside this process: no adapter process is started (it
    costs a model-server worker about 0.3 s at each start, measured), and children of this
    process are not debugged. pydevd accepts connections through ``door``'s check
    (_smdebug_local_door.GuardedServer) on a socket bound and listening before the port is
    announced; a door that cannot be put on means no debugger, never an open one."""
    pydevd = sys.modules.get("pydevd")  # imported by debugpy.configure
    if pydevd is None or not callable(getattr(pydevd, "create_server_socket", None)):
        raise RuntimeError("debugpy's in-process server has no socket to guard")
    doors = _sibling("_smdebug_local_door")
    check = doors.check_for(door) if door else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        sock.listen(1)
    except OSError:
        sock.close()
        raise
    server = doors.GuardedServer(sock, check) if check else sock
    pydevd.create_server_socket = lambda host, port: server  # type: ignore[attr-defined]
    debugpy.listen(("0.0.0.0", port), in_process_debug_adapter=True)


def _sibling(name):
    """Another module of the payload: top-level in containers (the payload folder is on
    sys.path), or ``smdebug_local.payload.NAME`` when the host package imports this one."""
    import importlib

    package = __name__.rpartition(".")[0]
    return importlib.import_module(package + "." + name if package else name)


def start(config, debugpy_module=None, probe=_port_is_free, connect=None):
    """Start debugpy in this process as ``config`` says (called only for the entry point)."""
    _sibling("_smdebug_local_pause").watch(config)
    debugger_environment(os.environ, _command_line()[1:], os.getcwd())
    if config.get("debugger") == "pydevd-pycharm":
        register_stacks(config)
        _sibling("_smdebug_local_pycharm").start_pycharm(config)
        return
    debugpy = debugpy_module or _import_debugpy(config)
    # A stack whose user code runs in the process itself (model-server workers) is served
    # without an adapter process (serve_in_process).
    in_process = bool((config.get("stack") or {}).get("in_process")) and not config.get("connect")
    # Children of the entry point (DataLoader workers, subprocesses) join the same session.
    # debugpy.listen's adapter gets the door (who may attach) from its environment.
    settings = {"subProcess": not in_process}
    if config.get("door") and not config.get("connect") and not in_process:
        door = _sibling("_smdebug_local_door")
        settings["pythonEnv"] = door.adapter_environment(config["door"], os.environ, CONFIG_ENV)
    debugpy.configure(**settings)
    _sibling("_smdebug_local_values").install_quietly()  # tensors' shape, dtype, device
    ranking = _sibling("_smdebug_local_ranks")
    who = ranking.where(config, os.environ)
    if (config.get("stack") or {}).get("processes") == "tf_config":
        host = "%s %s" % (config.get("role", "training"), config.get("host", ""))
        for task in ranking.tf_parameter_servers(os.environ):
            _say(
                "%s %s (TensorFlow) is the toolkit's tf.distribute.Server beside %s: no code "
                "of yours runs there, so it is not debugged" % (host.strip(), task, who)
            )
    suffix = _mapping_text(config)
    wait = config.get("wait", True)
    if config.get("connect"):
        address = config["connect"]
        _say("%s connecting to debugger at %s:%s%s" % (who, address[0], address[1], suffix))
        back = _sibling("_smdebug_local_connect")
        (connect or back.connect)(debugpy, address, back.CONNECT_PATIENCE[bool(wait)])
        os.environ[ACTIVE_ENV] = str(os.getpid())
        register_stacks(config)
        if wait:
            debugpy.wait_for_client()  # until the IDE has set its breakpoints
        _say("%s debugger attached" % who)
        return
    serve = None
    if in_process:
        serve = lambda port: serve_in_process(debugpy, port, config.get("door"))  # noqa: E731
    endpoint = _listen(
        debugpy, config["ports"], probe, ranking.port_slot(config, os.environ), serve
    )
    os.environ[ACTIVE_ENV] = str(os.getpid())
    config["worker"] = 1 + [e for _, e in config["ports"]].index(endpoint)
    who = ranking.where(config, os.environ)
    register_stacks(config)
    crash = _sibling("_smdebug_local_crash").install(config, who, endpoint)
    if crash is not None and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: crash.rename(child_label(who, os.getpid())))
    if wait:
        _say("%s waiting for debugger on %s%s" % (who, endpoint, suffix))
        debugpy.wait_for_client()
        _say("%s debugger attached" % who)
    else:
        _say("%s debugger listening on %s%s (not waiting)" % (who, endpoint, suffix))


def child_label(who, pid):
    """How a child process of a debugged one is named (a DataLoader worker, a forked
    server worker, a multiprocessing child)."""
    return "%s, child process %d" % (who, pid)


def register_stacks(config, child=False):
    """Let ``smdebug-local stacks`` dump this process's threads (see
    _smdebug_local_stacks); forked children register again under their own name."""
    who = _sibling("_smdebug_local_ranks").where(config, os.environ)
    if child:
        who = child_label(who, os.getpid())
    stacks = _sibling("_smdebug_local_stacks")
    if stacks.register_quietly(who) is not None:
        stacks.follow_forks(lambda pid: child_label(who, pid))
    if config.get("role") == "serving":  # watch mode puts edited handlers in place
        _sibling("_smdebug_local_hot").install_quietly()


class StartOnImport(object):
    """A meta path finder that starts the debugger right before the first top-level import
    of a module under one of ``roots`` (the user's code), then removes itself.

    A model-server worker imports the server and torch before it imports the user's
    handler module; under a tracing debugger those imports are slower (0.3 s of a 2.1 s
    TorchServe worker start, measured), and every worker start -- each deploy, each reload
    in watch mode -- pays for it. Nothing of the user's runs before their module is
    imported, so no breakpoint can be missed.
    """

    def __init__(self, roots, start_debugger):
        self.roots = tuple(r.rstrip("/") + "/" for r in roots)
        self._start = start_debugger
        self._busy = False

    def find_spec(self, name, path=None, target=None):
        if path is not None or self._busy:
            return None  # submodules follow their package; our own lookups pass through
        self._busy = True
        try:
            import importlib.machinery

            spec = importlib.machinery.PathFinder.find_spec(name)
            origin = (getattr(spec, "origin", None) or "") if spec is not None else ""
            if origin.startswith(self.roots) or os.path.realpath(origin).startswith(self.roots):
                self._remove()
                self._start()
        except Exception as exc:
            self._remove()
            _not_started(exc)
        finally:
            self._busy = False
        return None  # the import itself goes on as usual

    def _remove(self):
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def _not_started(exc):
    _say("debugger not started (%s: %s); running without it" % (type(exc).__name__, exc))


def _start_or_say(config):
    try:
        start(config)
    except Exception as exc:
        _not_started(exc)


def _executable():
    """The program this process runs: an embedded interpreter's binary (``sys.argv`` is
    ``['']`` there, as in the REPL, which no stack's pattern matches)."""
    try:
        return os.path.realpath("/proc/self/exe")
    except OSError:
        return None


def _is_adapter(argv):
    """True if this interpreter runs debugpy's adapter (``python <tree>/debugpy/adapter``,
    as ``debugpy.listen`` starts it, with the debuggee's environment)."""
    path = os.path.normpath(argv[0]) if argv and argv[0] else ""
    if os.path.basename(path) == "__main__.py":
        path = os.path.dirname(path)
    package = os.path.basename(os.path.dirname(path))
    return os.path.basename(path) == "adapter" and package == "debugpy"


def recognise(config, argv, cwd, environ, command_line=_command_line, executable=_executable):
    """The program this process runs if it is one to debug (else None); sets
    ``config["stack"]`` to the stack it belongs to. ``argv`` is ``sys.argv`` as
    sitecustomize sees it; ``command_line`` and ``executable`` read the process's full
    argv and binary, only when needed."""
    path = entry_point(argv, cwd, command_line)
    stacks = config.get("stacks") or []
    if path is None and argv == [""] and any(s.get("embedded") for s in stacks):
        path = executable()
    if not matches(path, config.get("match") or []):
        return None
    ranking = _sibling("_smdebug_local_ranks")
    config["stack"] = ranking.stack_of(stacks, path, command_line()[1:], environ, matches)
    return path


def main():
    """Entry from sitecustomize: start debugpy if this process is the configured entry
    point; in debugpy's adapter, put its door on."""
    raw = os.environ.get(CONFIG_ENV)
    if not raw:
        return
    # An embedded interpreter may set no sys.argv, and Python 3.6 sets it only after site
    # runs: then the process's own command line says what it runs.
    argv = getattr(sys, "argv", None) or _command_line()[1:] or [""]
    if _is_adapter(argv):
        # <tree>/debugpy/adapter: its modules from the image's bytecode too.
        adapter = os.path.normpath(argv[0])
        if os.path.basename(adapter) == "__main__.py":
            adapter = os.path.dirname(adapter)
        _compiled(os.path.dirname(os.path.dirname(adapter)))
        # Fails closed: the adapter exits rather than serve anyone who connects.
        _sibling("_smdebug_local_door").install_from(raw)
        return
    active = os.environ.get(ACTIVE_ENV)
    if active and active != str(os.getpid()):
        # A Python child of a debugged process (debugpy follows it): its stacks too.
        try:
            register_stacks(parse_config(raw), child=True)
        except Exception as exc:
            _say("stacks not available here (%s: %s)" % (type(exc).__name__, exc))
        return
    try:
        config = parse_config(raw)
        path = recognise(config, argv, os.getcwd(), os.environ)
        if path is None:
            return
        ranking = _sibling("_smdebug_local_ranks")
        ranks, rank = config.get("ranks"), ranking.rank_of(os.environ)
        if ranks is not None and rank is not None and rank[0] not in ranks:
            _say(
                "%s runs without a debugger (--ranks %s)"
                % (ranking.where(config, os.environ), ",".join(str(r) for r in ranks))
            )
            return
        defer = config.get("defer") or {}
        if defer.get("roots") and matches(path, defer.get("match") or []):
            sys.meta_path.insert(0, StartOnImport(defer["roots"], lambda: _start_or_say(config)))
            return
        start(config)
    except Exception as exc:
        _not_started(exc)

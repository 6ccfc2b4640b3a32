"""smdebug-local's hot apply: put edited function bodies into a running serving process.

A model-server worker holds the user's loaded model; restarting it to run an edited
``predict_fn`` loads the model again (seconds, or minutes for a large one). The running
process can take a new body for a function it already has: assigning a function object's
``__code__`` changes what its *next* call runs, for every holder of that object (the
inference toolkits keep references to ``input_fn``/``predict_fn``/..., not names). A frame
already running the old code -- a request paused at a breakpoint -- finishes with it.

The host decides which functions changed and whether only their bodies did (watch mode,
:mod:`smdebug_local.watch.hot`); this file does the rest in the container:

* every debugged serving process (and each forked child) handles :func:`signal_number` and
  lists its pid in :data:`DIRECTORY`;
* run as a script (``docker exec``, the interpreter ``smdebug-local stacks`` uses), it writes
  the request, signals every listed process and prints what each applied;
* a signalled process compiles the edited file, finds each named function's new code, checks
  it can take it (the same closure variables), assigns all or none, and writes its answer.

Stdlib only, Python 3.8 syntax; installing never raises into the user's process.
"""

import json
import os
import signal
import sys
import threading
import time
import types

DIRECTORY = "/tmp/smdebug-local-hot"
REQUEST = "request.json"
# One past the stack dumps' real-time signal (see _smdebug_local_stacks).
SIGNAL_OFFSET = 6
# The collector waits this long for every signalled process to answer. A process whose main
# thread sits in C code without returning to Python answers late: watch mode then reloads.
APPLY_TIMEOUT = 2.0


def signal_number():
    """The signal that applies a request, or None where there are no real-time signals."""
    rtmin = getattr(signal, "SIGRTMIN", None)
    return None if rtmin is None else int(rtmin) + SIGNAL_OFFSET


def install(directory=None):
    """Apply requests in this process when signalled; list this process (and every forked
    child, which inherits the handler) in ``directory``. Only from the main thread (Python
    runs signal handlers there); returns False where that or the signal is unavailable."""
    directory = directory or DIRECTORY
    number = signal_number()
    if number is None or threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(number) not in (signal.SIG_DFL, None):
        return False  # someone else's signal
    signal.signal(number, lambda signum, frame: answer(directory))
    _list(directory)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: _list(directory))
    return True


def install_quietly(directory=None):
    try:
        return install(directory)
    except Exception as exc:
        sys.stderr.write(
            "smdebug-local: edits cannot be applied in place here (%s: %s)\n"
            % (type(exc).__name__, exc)
        )
        return False


def _list(directory):
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o1777)  # workers may run as another user than their parent
    with open(os.path.join(directory, str(os.getpid())), "w") as f:
        f.write(json.dumps({"signal": signal_number()}))


def answer(directory=None):
    """The signal handler: apply the current request, write this process's answer."""
    directory = directory or DIRECTORY
    try:
        with open(os.path.join(directory, REQUEST)) as f:
            request = json.load(f)
        result = apply(request["changes"])
    except Exception as exc:
        request, result = {}, {"error": "%s: %s" % (type(exc).__name__, exc)}
    result["pid"] = os.getpid()
    path = os.path.join(directory, "%d.%s.json" % (os.getpid(), request.get("id", "unknown")))
    try:
        with open(path + ".tmp", "w") as f:
            json.dump(result, f)
        os.rename(path + ".tmp", path)
    except OSError:
        pass  # the collector says this process did not answer


def code_objects(code, prefix=""):
    """``{qualified name: code}`` of the functions a module's (or class body's) ``code``
    defines at its top level and in the bodies of classes it defines."""
    found = {}
    for const in code.co_consts:
        if not isinstance(const, types.CodeType) or const.co_name.startswith("<"):
            continue
        name = prefix + const.co_name
        if _is_class_body(const):
            found.update(code_objects(const, name + "."))
        else:
            found[name] = const
    return found


def _is_class_body(code):
    """A class body's code stores ``__qualname__`` first; a function's does not."""
    return "__qualname__" in code.co_names and "__module__" in code.co_names


def live_function(module, qualname):
    """The function object ``qualname`` names in ``module`` (methods via their class,
    static/class methods unwrapped), or None."""
    obj = module
    for part in qualname.split("."):
        namespace = getattr(obj, "__dict__", {})
        obj = namespace.get(part)
        if obj is None:
            return None
    obj = getattr(obj, "__func__", obj)
    return obj if isinstance(obj, types.FunctionType) else None


def _modules_of(path, modules):
    real = os.path.realpath(path)
    out = []
    for module in list(modules.values()):
        file = getattr(module, "__file__", None)
        if file and os.path.realpath(file) == real:
            out.append(module)
    return out


def apply(changes, modules=None, read=None):
    """Apply ``[{"path": file, "functions": [qualname, ...]}]`` in this process: all or
    nothing. Returns ``{"applied": [...], "not_loaded": [paths], "error": text?}``."""
    modules = sys.modules if modules is None else modules
    assignments = []
    not_loaded = []
    for change in changes:
        path = change["path"]
        loaded = _modules_of(path, modules)
        if not loaded:
            not_loaded.append(path)  # imported later, from the edited file
            continue
        try:
            source = (read or _read)(path)
            fresh = code_objects(compile(source, loaded[0].__file__, "exec"))
        except SyntaxError as exc:
            return {"error": "syntax error in %s line %s" % (os.path.basename(path), exc.lineno)}
        for name in change["functions"]:
            new = fresh.get(name)
            for module in loaded:
                function = live_function(module, name)
                if new is None or function is None:
                    return {"error": "%s is not a function of the running module" % name}
                if function.__code__.co_freevars != new.co_freevars:
                    return {"error": "%s's closure changed" % name}
                # The running module's file name, so breakpoints and tracebacks match.
                new = new.replace(co_filename=function.__code__.co_filename)
                assignments.append((function, new, name))
    for function, new, _ in assignments:
        function.__code__ = new
    return {"applied": sorted({name for _, _, name in assignments}), "not_loaded": not_loaded}


def _read(path):
    with open(path) as f:
        return f.read()


# The collector (run as a script in the container by watch mode).


def request_all(changes, directory=DIRECTORY, timeout=APPLY_TIMEOUT, clock=time.monotonic):
    """Ask every listed process of this container to apply ``changes``; gather answers:
    ``[{"pid", "applied", "not_loaded"} or {"pid", "error"}]``."""
    stacks = _sibling("_smdebug_local_stacks")
    identifier = "%d-%d" % (os.getpid(), int(clock() * 1000))
    try:
        names = sorted(n for n in os.listdir(directory) if n.isdigit())
    except OSError:
        return []
    with open(os.path.join(directory, REQUEST + ".tmp"), "w") as f:
        json.dump({"id": identifier, "changes": changes}, f)
    os.rename(os.path.join(directory, REQUEST + ".tmp"), os.path.join(directory, REQUEST))
    pending = []
    for name in names:
        pid = int(name)
        if not stacks.catches(pid, signal_number()):
            _remove(os.path.join(directory, name))  # ended, or exec'd another program
            continue
        try:
            os.kill(pid, signal_number())
        except OSError:
            continue
        pending.append(pid)
    results = []
    deadline = clock() + timeout
    while pending:
        for pid in list(pending):
            path = os.path.join(directory, "%d.%s.json" % (pid, identifier))
            try:
                with open(path) as f:
                    results.append(json.load(f))
            except (OSError, ValueError):
                continue
            _remove(path)
            pending.remove(pid)
        if not pending or clock() >= deadline:
            break
        time.sleep(0.005)
    results += [{"pid": pid, "error": "no answer within %gs" % timeout} for pid in pending]
    return results


def _sibling(name):
    import importlib

    package = __name__.rpartition(".")[0]
    return importlib.import_module(package + "." + name if package else name)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


if __name__ == "__main__":
    sys.stdout.write(json.dumps(request_all(json.loads(sys.argv[1]))) + "\n")

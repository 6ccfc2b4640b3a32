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
host-side compose transform; see :func:`parse_config` for the keys.
"""

import fnmatch
import json
import os
import sys

CONFIG_ENV = "SMDEBUG_LOCAL"
# Set in a process once debugpy runs there. Children inherit it: a child spawned by a
# debugged Python is handed to the debugger by debugpy itself, so it must not try to
# listen on the same port again (that fails with "Address already in use").
ACTIVE_ENV = "SMDEBUG_LOCAL_ACTIVE"

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
    port      -- port debugpy listens on inside the container
    endpoint  -- "127.0.0.1:5678": where the host publishes that port (for messages)
    wait      -- block the entry point until a debugger attaches
    match     -- fnmatch patterns for the entry point's absolute path
    mappings  -- [[local_root, remote_root], ...] (for messages)
    debugpy   -- directory holding one sub-directory per debugpy version
    """
    config = json.loads(raw)
    if not isinstance(config, dict) or "port" not in config:
        raise ValueError("%s is not a smdebug-local configuration" % CONFIG_ENV)
    return config


def _module_path(module, cwd):
    """Best guess of the file ``python -m module`` will run, before it is imported."""
    base = os.path.join(cwd, *module.split("."))
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


def entry_point(argv, cwd, command_line):
    """Absolute path of the program this interpreter is about to run, or None.

    ``argv`` is ``sys.argv`` as sitecustomize sees it: ``['script.py', ...]`` for a script,
    ``['-m', ...]`` for a module, ``['-c', ...]`` or ``['']`` for code and the REPL.
    """
    if not argv or argv[0] in ("", "-c"):
        return None
    if argv[0] == "-m":
        args = command_line[1:]
        for i, arg in enumerate(args):
            if arg == "-m" and i + 1 < len(args):
                return _module_path(args[i + 1], cwd)
            if arg.startswith("-m") and len(arg) > 2:
                return _module_path(arg[2:], cwd)
        return None
    return os.path.abspath(os.path.join(cwd, argv[0]))


def matches(path, patterns):
    """True if ``path`` (or its real path) matches one of the fnmatch ``patterns``."""
    if not path:
        return False
    candidates = {path, os.path.realpath(path)}
    return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in patterns)


def _mapping_text(config):
    pairs = config.get("mappings") or []
    return ", ".join("%s -> %s" % (local, remote) for local, remote in pairs)


def _import_debugpy(config):
    version = debugpy_version_for(sys.version_info)
    if version is None:
        raise RuntimeError(
            "Python %d.%d is too old for debugpy (needs 3.8+)" % tuple(sys.version_info[:2])
        )
    path = os.path.join(config.get("debugpy", "/opt/smdebug-local/debugpy"), version)
    if not os.path.isdir(os.path.join(path, "debugpy")):
        raise RuntimeError("debugpy %s is missing from %s" % (version, path))
    # Python 3.11+ warns about frozen modules at every start under a debugger; the warning
    # is about breakpoints in the stdlib's frozen modules, which users do not set here.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    sys.path.insert(0, path)
    try:
        import debugpy  # noqa: PLC0415 - imported from the mounted build on purpose
    finally:
        # debugpy knows its own location from here on; keep sys.path as the user expects.
        sys.path.remove(path)
    return debugpy


def start(config, debugpy_module=None):
    """Start debugpy in this process as ``config`` says (called only for the entry point)."""
    debugpy = debugpy_module or _import_debugpy(config)
    # Children of the entry point (DataLoader workers, subprocesses) join the same session.
    debugpy.configure(subProcess=True)
    debugpy.listen(("0.0.0.0", int(config["port"])))
    os.environ[ACTIVE_ENV] = str(os.getpid())
    where = "%s %s" % (config.get("role", "container"), config.get("host", ""))
    mapping = _mapping_text(config)
    suffix = " (%s)" % mapping if mapping else ""
    endpoint = config.get("endpoint", "127.0.0.1:%s" % config["port"])
    if config.get("wait", True):
        _say("%s waiting for debugger on %s%s" % (where.strip(), endpoint, suffix))
        debugpy.wait_for_client()
        _say("%s debugger attached" % where.strip())
    else:
        _say("%s debugger listening on %s%s (not waiting)" % (where.strip(), endpoint, suffix))


def main():
    """Entry from sitecustomize: start debugpy if this process is the configured entry point."""
    raw = os.environ.get(CONFIG_ENV)
    if not raw or os.environ.get(ACTIVE_ENV):
        return
    try:
        config = parse_config(raw)
        path = entry_point(sys.argv, os.getcwd(), _command_line())
        if not matches(path, config.get("match") or []):
            return
        start(config)
    except Exception as exc:  # noqa: BLE001 - the user's code must run whatever happens here
        _say("debugger not started (%s: %s); running without it" % (type(exc).__name__, exc))

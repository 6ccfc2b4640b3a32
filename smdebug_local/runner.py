"""Run a user's local-mode driver script with debugging enabled, like ``coverage run``.

The script runs in this interpreter as ``__main__`` (a fresh module registered in
``sys.modules``, so pickling and ``if __name__ == "__main__"`` behave as with ``python
script.py``), with ``sys.argv`` and ``sys.path[0]`` set as Python would set them. Whatever
way it ends -- normally, ``sys.exit``, an exception, Ctrl-C or SIGTERM -- the session is
closed, which removes the containers it started.
"""

from __future__ import annotations

import signal
import sys
import traceback
import types
from pathlib import Path

from . import session as _session
from .errors import SmdebugError
from .options import DebugOptions

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_user_traceback(exc: BaseException, script: Path) -> None:
    """Print the traceback as ``python script.py`` would: from the script's frame on."""
    tb = exc.__traceback__
    while tb is not None and Path(tb.tb_frame.f_code.co_filename).resolve() != script:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def _terminate(signum, frame):  # noqa: ARG001 - signal handler signature
    raise SystemExit(EXIT_TERMINATED)


def run_script(script: str, args: list[str], options: DebugOptions) -> int:
    """Run ``script`` with ``args`` under a debugging session; return its exit code."""
    path = Path(script)
    if not path.is_file():
        raise SmdebugError(f"script {script!r} not found; pass the path of your local-mode "
                           "driver script (e.g. smdebug-local run train_local.py)")
    path = path.resolve()
    try:
        code = compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as exc:
        traceback.print_exception(type(exc), exc, None)  # as `python SCRIPT` reports it
        return 1

    debug = _session.activate(_session.DebugSession(options).start())
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": str(path), "__builtins__": __builtins__})
    saved = sys.argv, list(sys.path), sys.modules.get("__main__")
    sys.argv = [script, *args]  # argv[0] as given, like `python SCRIPT`
    sys.path.insert(0, str(path.parent))
    sys.modules["__main__"] = main
    previous_term = signal.signal(signal.SIGTERM, _terminate)
    try:
        exec(code, main.__dict__)  # noqa: S102 - running the user's script is the job
        return 0
    except SystemExit as exc:
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        print("smdebug-local: interrupted; stopping containers", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseException as exc:  # noqa: BLE001 - report like Python, then clean up
        _print_user_traceback(exc, path)
        for line in debug.report_failures():
            print(f"smdebug-local: {line}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        sys.argv, sys.path[:] = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
        _session.disable()

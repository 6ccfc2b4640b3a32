"""Run a user's local-mode driver script with debugging enabled, like ``coverage run``.

The script runs in this interpreter as ``__main__`` (a fresh module registered in
``sys.modules``, so pickling and ``if __name__ == "__main__"`` behave as with ``python
script.py``), with ``sys.argv`` and ``sys.path[0]`` set as Python would set them. Whatever
way it ends -- normally, ``sys.exit``, an exception, Ctrl-C or SIGTERM -- the session is
closed, which removes the containers it started.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
import traceback
import types
from pathlib import Path

from . import api, messages
from .errors import SmdebugError
from .export import SERVICE, Exporter
from .options import DebugOptions
from .session import DebugSession

EXIT_INTERRUPTED = 130
# Signals that end the run as SIGTERM does, with the shell's status for them (128 + number).
# SIGHUP is how VS Code ends a task ("Tasks: Terminate Task") and how a closed terminal
# ends what runs in it: the containers must go then too.
TERMINATING: dict[int, int] = {signal.SIGTERM: 143}
if hasattr(signal, "SIGHUP"):  # not on Windows
    TERMINATING[signal.SIGHUP] = 129


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


class _Interruption:
    """Ctrl-C, SIGTERM and SIGHUP, delivered until they reach the runner.

    SageMaker SDK 2.257's telemetry decorator (around ``fit``, ``deploy``, ...) ends in
    ``finally: return response``, which silently discards any exception passing through
    it -- KeyboardInterrupt and SystemExit included -- so the script would carry on after a
    Ctrl-C. Once a signal arrived, it is re-raised in the main thread every half second
    until the runner has seen it.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.seen = threading.Event()

    def handler(self, signum, frame):
        if self.seen.is_set():
            return  # the runner is cleaning up; that must finish
        if self.signum is None:
            self.signum = signum
            threading.Thread(target=self._redeliver, daemon=True).start()
        if self.signum in TERMINATING:
            raise SystemExit(TERMINATING[self.signum])
        raise KeyboardInterrupt

    def _redeliver(self) -> None:
        while not self.seen.wait(0.5):
            _thread.interrupt_main()  # runs handler() in the main thread, as SIGINT does

    def stop(self) -> int | None:
        """Stop re-delivering; the status the run ends with if a signal ended it."""
        self.seen.set()
        if self.signum is None:
            return None
        return TERMINATING.get(self.signum, EXIT_INTERRUPTED)


def _execute(
    code, main: types.ModuleType, path: Path, debug: DebugSession, interruption: _Interruption
) -> int:
    """Run the script's code as ``python SCRIPT`` would; its exit status."""
    try:
        exec(code, main.__dict__)
        return 0
    except SystemExit as exc:
        status = _exit_code(exc.code)
        if status and interruption.signum is None:
            _error(messages.SCRIPT_FAILED.text(script=path.name, what=f"exit status {status}"))
        return status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except SmdebugError as exc:
        # A problem the user can fix met mid-run (e.g. a pinned port taken at deploy()):
        # the one-line form, which IDE task problem matchers read, not a traceback.
        _error(str(exc))
        return exc.exit_code
    except BaseException as exc:
        if interruption.signum is None:
            _print_user_traceback(exc, path)
            # Error lines: an IDE task's problem matcher reads them (VS Code ignores a
            # background task's exit status and would attach to nothing, or to another run).
            reasons = debug.diagnosis.failures() or [
                messages.SCRIPT_FAILED.text(script=path.name, what=_first_line(exc))
            ]
            for line in reasons:
                _error(line)
        return 1


def _error(text: str) -> None:
    print(f"smdebug-local: error: {text}", file=sys.stderr, flush=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_script(
    script: str, args: list[str], options: DebugOptions, exporter: Exporter | None = None
) -> int:
    """Run ``script`` with ``args`` under a debugging session; return its exit code.

    With ``exporter``, the first training job's container is exported after the script.
    """
    path = Path(script)
    if not path.is_file():
        raise messages.SCRIPT_MISSING.error(script=script)
    path = path.resolve()
    try:
        code = compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as exc:
        traceback.print_exception(type(exc), exc, None)  # as `python SCRIPT` reports it
        _error(
            messages.SCRIPT_FAILED.text(script=path.name, what=f"SyntaxError, line {exc.lineno}")
        )
        return 1

    debug = api.activate(DebugSession.start(options, exporter=exporter))
    main = types.ModuleType("__main__")
    main.__dict__.update({"__file__": str(path), "__builtins__": __builtins__})
    saved = sys.argv, list(sys.path), sys.modules.get("__main__")
    sys.argv = [script, *args]  # argv[0] as given, like `python SCRIPT`
    sys.path.insert(0, str(path.parent))
    sys.modules["__main__"] = main
    interruption = _Interruption()
    previous = {
        sig: signal.signal(sig, interruption.handler) for sig in (signal.SIGINT, *TERMINATING)
    }
    try:
        status = EXIT_INTERRUPTED
        try:
            if options.debug_driver:  # now: the state file names the script (sys.argv)
                debug.debug_driver()
            status = _execute(code, main, path, debug, interruption)
            if exporter is not None and interruption.signum is None:
                written = exporter.write(debug.engine)
                print(
                    f"smdebug-local: wrote {written} (service {SERVICE!r}: docker compose -f "
                    f"{written.name} run --rm {SERVICE})",
                    file=sys.stderr,
                )
            if debug.watch is not None and interruption.signum is None:
                # The edit-fix loop: even a script that failed keeps its jobs followed.
                debug.watch.until_interrupted()
        except (KeyboardInterrupt, SystemExit):
            pass  # Ctrl-C or SIGTERM while watching (or right after the script)
        signalled = interruption.stop()
        if signalled is not None:
            # Whatever the script did after the signal (the SDK may have swallowed it).
            print("smdebug-local: interrupted; removing containers", file=sys.stderr)
            return signalled
        return status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.argv, sys.path[:] = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
        api.disable()

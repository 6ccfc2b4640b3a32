"""The public API: :func:`enable`, :func:`disable`, :func:`active` (one session at a time).

``smdebug-local run`` uses it too (:func:`activate`), so the notebook magic, ``status``
and the clean-up at interpreter exit see the same session whichever way it started.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

from .options import DEFAULT_POST_MORTEM_TIMEOUT, DebugOptions, person_present
from .session import DebugSession

_active: DebugSession | None = None
_lock = threading.Lock()


def activate(session: DebugSession) -> DebugSession:
    """Make ``session`` the one :func:`disable` closes (closing any earlier one)."""
    global _active
    with _lock:
        previous, _active = _active, session
    if previous is not None and previous is not session:
        previous.close()
    return session


def enable(
    port: int | None = None,
    *,
    wait: bool | None = None,
    bind: str = "127.0.0.1",
    path_mappings: dict[str, str] | None = None,
    mode: str = "listen",
    debug_driver: bool = False,
    ranks: str | int | list[int] | None = None,
    post_mortem: bool | None = None,
    post_mortem_timeout: float = DEFAULT_POST_MORTEM_TIMEOUT,
) -> DebugSession:
    """Debug every training and serving container SageMaker local mode starts from now on.

    Call before ``fit()``/``deploy()``; undo with :func:`disable`, or use the returned
    session as a context manager. ``port`` is the first host port (default 5678, next free
    ports for further containers and model-server workers; an explicit port must be free).
    ``wait``: None waits in training only, True also makes model loading wait, False never
    waits. The debug endpoints listen on ``bind`` (loopback by default, where they let in
    only this user's own connections: debugpy runs any code it is sent). ``path_mappings`` maps local folders to container folders for code baked
    into an image, e.g. ``{"./program": "/opt/program"}``. ``mode="connect"`` makes every
    container connect back to an IDE listening on ``port`` instead (see the README).
    ``debug_driver=True`` also debugs this process (e.g. ModelBuilder's ``Mode.IN_PROCESS``
    server) on the next free port, waiting for a debugger unless ``wait=False``.
    ``ranks`` (e.g. ``[0]`` or ``"0,2"``; default all) limits a distributed training job's
    debugged ranks; the others run without a debugger. ``post_mortem``: a process that
    crashes with no debugger attached pauses at the exception for up to
    ``post_mortem_timeout`` seconds, for you to attach and inspect it; None (default) turns
    it on in a notebook or a terminal, off in CI.
    """
    options = DebugOptions.from_user(
        port,
        wait=wait,
        bind=bind,
        mode=mode,
        debug_driver=debug_driver,
        ranks=DebugOptions.parse_ranks(
            ranks
            if ranks is None or isinstance(ranks, str)
            else str(ranks)
            if isinstance(ranks, int)
            else ",".join(map(str, ranks))
        ),
        path_mappings=tuple(
            DebugOptions.parse_mapping(f"{k}={v}") for k, v in (path_mappings or {}).items()
        ),
        post_mortem=(
            person_present(os.environ, _stdin_is_tty(), "ipykernel" in sys.modules)
            if post_mortem is None
            else post_mortem
        ),
        post_mortem_timeout=post_mortem_timeout,
    )
    session = activate(DebugSession.start(options))
    if debug_driver:
        session.debug_driver()
    return session


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdin
        return False


def disable() -> None:
    """Stop debugging and remove the containers it started; local mode is as before again."""
    global _active
    with _lock:
        session, _active = _active, None
    if session is not None:
        session.close()


def active() -> DebugSession | None:
    """The session :func:`enable` started, if any and not closed since (leaving its
    ``with`` block closes it)."""
    session = _active
    return session if session is not None and not session.closed else None


# At interpreter exit, clean up *before* Python joins non-daemon threads: local mode serves
# from a non-daemon thread that only ends when its container does, so a script that never
# calls delete_endpoint would otherwise hang forever after its last line.
_register_early_atexit = getattr(threading, "_register_atexit", None)
if _register_early_atexit is not None:
    _register_early_atexit(disable)
atexit.register(disable)

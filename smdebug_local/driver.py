"""The driver process itself under the debugger (``run --debug-driver``,
``enable(debug_driver=True)``).

Code of the user's that local mode runs on this machine -- ModelBuilder's ``IN_PROCESS``
mode serves the InferenceSpec from a FastAPI/uvicorn thread of the driver, and anything
the script does around ``fit()``/``deploy()`` -- is debugged by starting debugpy in this
process, listening on a loopback port of its own, whose adapter lets in only this user's
sockets. Nothing runs in a container, so no path mapping is needed. debugpy is the build
the containers get for this Python version (:func:`load_debugpy`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from . import containers
from .compose import Mount
from .notices import say
from .payload._smdebug_local_boot import CONFIG_ENV, debugpy_version_for
from .payload._smdebug_local_door import adapter_environment
from .relay import checks_accounts
from .state import driver_entry

if TYPE_CHECKING:
    from .run_context import RunContext

ROLE = "driver"


@dataclass(frozen=True)
class DriverTarget:
    """Where a debugger attaches to the driver process."""

    bind: str
    port: int
    wait: bool
    pid: int

    @property
    def endpoint(self) -> str:
        return f"{self.bind}:{self.port}"

    def line(self) -> str:
        """The line saying where to attach, like the containers' waiting lines."""
        state = "waiting for debugger" if self.wait else "debugger listening"
        return (
            f"{ROLE} pid {self.pid} {state} on {self.endpoint} (this process"
            + ("" if self.wait else ", not waiting")
            + ")"
        )


def load_debugpy(builds: str) -> ModuleType:
    """The containers' debugpy build for this Python version, under ``builds``: the release
    whose adapter start the payload's door is written for (and proven with). This Python's
    own debugpy only where no build is there, or when the script imported one already."""
    if "debugpy" in sys.modules:
        return sys.modules["debugpy"]
    path = os.path.join(builds, debugpy_version_for(sys.version_info) or "")
    if os.path.isdir(os.path.join(path, "debugpy")):
        sys.path.insert(0, path)
        try:
            import debugpy
        finally:
            sys.path.remove(path)  # debugpy knows its own location from here on
        return debugpy
    import debugpy

    return debugpy


def debug(session: RunContext) -> DriverTarget:
    """Debug the session's own process on its next free port, listed in the state file
    before it waits (so ``status`` shows where to attach)."""
    options = session.options
    assert session.ports is not None  # listen mode only (DRIVER_CONNECT)
    port = session.ports.allocate()
    with session.lock:
        entry = driver_entry(f"{options.bind}:{port}", options.wait is not False, os.getpid())
        session.state.add_entry(entry)
        containers.publish(session)  # the state file, and `--ide vscode`'s configuration
    return start(options.bind, port, options.wait, session.mount, say)


def start(
    bind: str, port: int, wait: bool | None, mount: Mount, say: Callable[[str], None]
) -> DriverTarget:
    """Listen for a debugger on ``bind:port``; with ``wait`` (None: the default) return
    only once one has attached, so the script's first line is already debugged. On a
    loopback ``bind`` only this user's own sockets get a session."""
    # Frozen stdlib modules (3.11+) only make pydevd warn about lines of the stdlib.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    debugpy = load_debugpy(mount.debugpy_dir)
    # The driver's children (docker compose, pip, ...) are not the user's code.
    debugpy.configure(
        subProcess=False,
        **(
            {"pythonEnv": adapter_environment("owner", os.environ, CONFIG_ENV)}
            if checks_accounts(bind)
            else {}
        ),
    )
    debugpy.listen((bind, port))
    target = DriverTarget(bind, port, wait is not False, os.getpid())
    say(target.line())
    if target.wait:
        debugpy.wait_for_client()
    return target

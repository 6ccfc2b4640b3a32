"""What making a container debuggable needs of the run it belongs to.

:mod:`.containers` and :mod:`.driver` work for a :class:`~smdebug_local.session.DebugSession`
but see it only through this Protocol: the run's options, ports, mounts, state file and the
few services they call. So neither imports the session (which imports them), and what a
container's rewrite can touch of a run is written down in one place.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .compose import DebugTarget, Mount
    from .containers import Builders
    from .debuggers.bytecode import Bytecode
    from .diagnose import Diagnosis
    from .engine import Engine
    from .notices import Notices
    from .options import DebugOptions
    from .ports import PortAllocator
    from .programs import Programs
    from .relay import Relay
    from .state import RunState
    from .watch.mode import WatchMode


class RunContext(Protocol):
    """The parts of a debugging run that container rewrites and the driver read or extend."""

    options: DebugOptions
    engine: Engine
    labels: dict[str, str]
    workspace: Path
    targets: list[DebugTarget]
    mount: Mount
    bytecode: Bytecode  # debugpy compiled once per image
    ports: PortAllocator | None
    relay: Relay | None  # the run's endpoints on the host (listen mode)
    secret: str  # what the run's containers' debug adapters ask of the relay
    notices: Notices
    diagnosis: Diagnosis
    state: RunState
    programs: Programs
    lock: threading.RLock
    removed: set[str]
    builders: Builders
    watch: WatchMode | None

    @property
    def script(self) -> str: ...

    def locate(self, copy_dir: str) -> str | None: ...

    def unsupported(self, message: str) -> None: ...

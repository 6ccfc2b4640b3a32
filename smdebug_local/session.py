"""A debugging session: the SDK hooks, port allocation and clean-up for one run.

:func:`enable` (the notebook API) and ``smdebug-local run`` both create exactly one
:class:`DebugSession`. It receives every compose configuration local mode generates,
turns the services it can debug into debuggable ones (:mod:`smdebug_local.compose`),
remembers them as targets, and on :meth:`DebugSession.close` removes the containers it
labelled -- so a run leaves nothing behind, even when the driver script fails.
"""

from __future__ import annotations

import atexit
import sys
import threading
import uuid
from dataclasses import dataclass, field

from . import debugpy_cache
from .compose import LABEL_ROLE, LABEL_RUN, DebugTarget, Mount, code_mappings, transform_service
from .engine import Engine, compose_command
from .errors import SmdebugError
from .options import DebugOptions
from .payload import PAYLOAD_DIR
from .ports import PortAllocator
from .sdk import ComposeRequest, SdkAdapter, available_adapters

# Where local mode mounts a training job's source directory, and which processes are the
# user's entry point there (the toolkit runs ``python -- <entry>.py`` with cwd /opt/ml/code).
TRAINING_CODE_DIR = "/opt/ml/code"
TRAINING_MATCH = (f"{TRAINING_CODE_DIR}/*",)


def _say(message: str) -> None:
    print(f"smdebug-local: {message}", file=sys.stderr, flush=True)


@dataclass
class DebugSession:
    """State of one debugging run; use :func:`enable` to create one."""

    options: DebugOptions
    engine: Engine = field(default_factory=Engine)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    targets: list[DebugTarget] = field(default_factory=list)
    _adapters: list[SdkAdapter] = field(default_factory=list)
    _mount: Mount | None = None
    _ports: PortAllocator | None = None
    _image_env: dict[str, dict[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _warned_roles: set[str] = field(default_factory=set)

    def start(self) -> DebugSession:
        """Check the machine, prepare the payload and hook the SDK (fails fast, one line)."""
        # Cheapest and most common problems first (importing the SDK takes seconds), and
        # all before the job's image is pulled or its data copied.
        self.engine.ping()
        compose_command()
        self._ports = PortAllocator(
            self.options.port, bind=self.options.bind, explicit=self.options.port_explicit
        )
        self._ports.check()
        self._mount = Mount(str(PAYLOAD_DIR), str(debugpy_cache.prepare(log=_say)))
        adapters = available_adapters()
        if self.options.exposed:
            _say(
                f"WARNING: debug ports are published on {self.options.bind}; anyone who can "
                "reach this address can run code in the containers"
            )
        for adapter in adapters:
            adapter.install(self.on_compose)
        self._adapters = adapters
        return self

    def on_compose(self, request: ComposeRequest) -> dict:
        """Return the debuggable version of one compose configuration (called by adapters)."""
        if request.role != "training":
            if request.role not in self._warned_roles:
                self._warned_roles.add(request.role)
                _say(f"{request.role} containers are not debugged by this version; "
                     "they run unchanged")
            return dict(request.content)
        with self._lock:
            content = dict(request.content)
            services = dict(content.get("services") or {})
            image_env = self._image_env_of(request.image)
            for name, service in services.items():
                target = self._target(request.role, name, service)
                services[name] = transform_service(service, target, self._mount, image_env)
                self.targets.append(target)
            content["services"] = services
            return content

    def _target(self, role: str, name: str, service: dict) -> DebugTarget:
        mappings = tuple(code_mappings(service, TRAINING_CODE_DIR))
        return DebugTarget(
            role=role,
            service=name,
            host_port=self._ports.allocate(),
            bind=self.options.bind,
            wait=self.options.wait,
            match=TRAINING_MATCH,
            mappings=mappings,
            labels={LABEL_RUN: self.run_id},
        )

    def _image_env_of(self, image: str) -> dict[str, str]:
        if image not in self._image_env:
            self._image_env[image] = self.engine.image_env(image)
        return self._image_env[image]

    def report_failures(self) -> list[str]:
        """One line per container of this run that failed, quoting its last output.

        An image whose Python is missing or too old gets that said plainly instead: the
        container's own error ("exec: train: not found") does not name the cause.
        """
        lines = []
        for fail in self.engine.failures(LABEL_RUN, self.run_id, LABEL_ROLE):
            python = self.engine.python_version(fail.image, {LABEL_RUN: self.run_id})
            if python is None:
                lines.append(f"image {fail.image} has no Python interpreter (python3/python "
                             "not found); smdebug-local debugs Python entry points: use an "
                             "image with Python 3.8 or newer")
            elif python < (3, 8):
                lines.append(f"image {fail.image} has Python {python[0]}.{python[1]}; "
                             "debugpy needs Python 3.8 or newer: use a newer image")
            else:
                last = " | ".join(fail.tail[-3:]) or "no output"
                lines.append(f"{fail.role} container {fail.name} exited with code "
                             f"{fail.exit_code}: {last}")
        return lines

    def close(self) -> None:
        """Unhook the SDK and remove this run's containers. Safe to call twice."""
        for adapter in self._adapters:
            adapter.uninstall()
        self._adapters = []
        if self.targets:
            self.engine.remove(LABEL_RUN, self.run_id)

    def __enter__(self) -> DebugSession:
        return self

    def __exit__(self, *exc) -> None:
        disable()


_active: DebugSession | None = None


def enable(
    port: int | None = None,
    *,
    wait: bool = True,
    bind: str = "127.0.0.1",
) -> DebugSession:
    """Debug every training container SageMaker local mode starts from now on.

    Call before ``estimator.fit()``; undo with :func:`disable`, or use the returned session
    as a context manager. ``port`` is the first host port (default 5678, next free ports
    for further containers; an explicit port must be free). ``wait=False`` lets training
    start without a debugger attached. Debug ports are published on ``bind`` (loopback by
    default: debugpy runs any code it is sent).
    """
    global _active
    if _active is not None:
        disable()
    options = DebugOptions(
        port=port if port is not None else DebugOptions.port,
        port_explicit=port is not None,
        wait=wait,
        bind=bind,
    )
    session = DebugSession(options).start()
    _active = session
    return session


def disable() -> None:
    """Stop debugging: local mode behaves exactly as without smdebug-local again."""
    global _active
    session, _active = _active, None
    if session is not None:
        session.close()


def active() -> DebugSession | None:
    """The session :func:`enable` started, if any."""
    return _active


atexit.register(disable)


__all__ = ["DebugSession", "SmdebugError", "active", "disable", "enable"]

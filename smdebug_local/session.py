"""A debugging session: the front the SDK adapters call while local mode runs.

:func:`smdebug_local.enable` and ``smdebug-local run`` both start exactly one
:class:`DebugSession`. It receives every compose configuration local mode generates
(and ModelBuilder's docker-py containers), turns the services it can debug into debuggable
ones (:mod:`smdebug_local.containers`), labels every container it sees, and on
:meth:`DebugSession.close` removes the containers it labelled -- so a run leaves nothing
behind, even when the driver script fails or never calls ``delete_endpoint``.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from . import clean, containers, debuggers, driver, messages, ping, sources
from .compose import LABEL_HOST, LABEL_PID, LABEL_RUN, DebugTarget, Mount
from .debuggers.bytecode import Bytecode
from .diagnose import Diagnosis
from .engine import Engine, await_compose_children, compose_command, engine_errors
from .notices import Notices, say
from .options import DebugOptions
from .ports import PortAllocator, reserve
from .programs import Programs
from .relay import Locator, Relay, checks_accounts
from .sdk import (
    ComposeRequest,
    ContainerRequest,
    JobRequest,
    ServingWait,
    available_adapters,
    install_on_import,
)
from .state import RunState

if TYPE_CHECKING:  # export-compose loads its module only when used
    from .export import Exporter


# How long the end of a run waits for a Docker engine that went away (a daemon restart) to
# answer again, so its containers can be removed.
DOCKER_BACK_WITHIN = 30


class DebugSession:
    """One debugging run; :meth:`start` checks the machine and hooks the SDK."""

    def __init__(
        self,
        options: DebugOptions,
        mount: Mount,
        *,
        ports: PortAllocator | None = None,
        engine: Engine | None = None,
        workspace: Path | None = None,
        exporter: Exporter | None = None,
        relay: Relay | None = None,
    ) -> None:
        self.options = options
        self.engine = engine or Engine()
        self.run_id = uuid.uuid4().hex[:12]
        # On every container of the run: `clean` and `status` find them by these.
        self.labels = {
            LABEL_RUN: self.run_id,
            LABEL_PID: str(os.getpid()),
            LABEL_HOST: socket.gethostname(),
        }
        self.workspace = workspace or Path.cwd()
        self.targets: list[DebugTarget] = []
        self.exporter = exporter  # export-compose: sees every configuration first
        self.mount = mount
        self.ports = ports  # None in connect mode: the port is the IDE's
        # Only the run's relay knows it: the containers' debug adapters ask it of every
        # client, and the relay lets only this user's sockets through (see .relay).
        self.secret = secrets.token_hex(16)
        if relay is None and options.mode == "listen":
            relay = Relay(self.secret, options.bind, self._published)
        self.relay = relay
        self.notices = Notices()
        self.diagnosis = Diagnosis(self.engine, self.run_id)
        self.state = RunState(self.workspace, self.run_id, self.notices.once)
        self.programs = Programs(self.engine, self.labels, lambda: self.script, self.notices.once)
        self.bytecode = Bytecode(self.engine, self.labels, mount.boot_dir, mount.debugpy_dir)
        # Re-entrant: on_compose (holding it) may say something once via unsupported().
        self.lock = threading.RLock()
        self._labelled = False
        self.closed = False  # close() was called: no longer any API's active session
        self.removed: set[str] = set()
        # Local mode's job folders (each holds the compose file compose runs on), or None
        # once a configuration came without one: then any compose child is the session's.
        self._compose_roots: set[str] | None = set()
        self._undo: list[Callable[[], None]] = []
        self.builders = containers.Builders(self)
        self.watch = None
        if options.watch:
            from .watch.mode import WatchMode

            self.watch = WatchMode(
                options,
                say=say,
                note=self.notices.once,
                retire=self._retire,
                remove=self.engine.remove_named,
                restart=self._restart,
                hot_apply=self._hot_apply,
            )

    @classmethod
    def start(cls, options: DebugOptions, *, exporter: Exporter | None = None) -> DebugSession:
        """Check the machine, prepare the debuggers and hook the SDK (fails fast, one line).

        Cheapest and most common problems first (importing the SDK takes seconds), and all
        before the job's image is pulled or its data copied.
        """
        engine = Engine()
        engine.ping()
        compose_command()
        ports = None
        if options.mode == "listen":  # connect mode publishes nothing: the port is the IDE's
            ports = reserve(
                options.port,
                bind=options.bind,
                explicit=options.port_explicit,
                directory=debuggers.cache.cache_root() / "ports",
            )
        mount = debuggers.prepare(options, say)
        adapters = available_adapters()
        if options.exposed:
            say(messages.EXPOSED.text(bind=options.bind))
        elif options.mode == "listen" and not checks_accounts(options.bind):
            say(messages.ACCOUNTS_UNCHECKED.text())
        session = cls(options, mount, ports=ports, engine=engine, exporter=exporter)
        clean.earlier_runs(engine, session.workspace, say)
        session._undo = [install_on_import(adapter, session) for adapter in adapters]
        return session

    def debug_driver(self) -> None:
        """Debug this process (:mod:`.driver`), once ``sys.argv`` names the script."""
        driver.debug(self)

    @property
    def script(self) -> str:
        """The driver script (read when needed: ``run`` sets ``sys.argv`` after start)."""
        return sys.argv[0] if sys.argv else ""

    # -- SDK hooks (sdk.Hooks) -----------------------------------------------------------

    def on_compose(self, request: ComposeRequest) -> dict:
        """Return the debuggable version of one compose configuration (called by adapters)."""
        if self.exporter is not None:
            self.exporter.capture(request.role, request.image, request.content, request.workdir)
        with self.lock:
            self._labelled = True
            if request.workdir is None:
                self._compose_roots = None
            elif self._compose_roots is not None:
                # As the SDK names it on compose's command line, and resolved (macOS /var).
                self._compose_roots |= {request.workdir, os.path.realpath(request.workdir)}
            return containers.compose(self, request)

    def on_container(self, request: ContainerRequest) -> dict:
        """The debuggable ``containers.run`` arguments of ModelBuilder's container."""
        with self.lock:
            self._labelled = True
            return self.builders.debug(request)

    def on_container_started(self, name: str) -> None:  # nothing else shows its output
        self.engine.relay(name, "smdebug-local: ", lambda line: print(line, file=sys.stderr))

    def on_pickled_code(self, folder: str) -> None:
        self.builders.pickled.add(folder)

    def builder_endpoint(self) -> AbstractContextManager[None]:  # the compose is a copy
        return self.builders.endpoint()

    def before_stop(self, container_names: list[str]) -> None:
        """Remove containers the SDK is about to stop: instant instead of a 10 s grace."""
        self.removed.update(container_names)
        if self.watch is not None:
            self.watch.stopping(container_names)
        self.engine.remove_named(container_names)

    def job_run(self, request: JobRequest) -> AbstractContextManager[None]:
        """The script's training or processing call: in watch mode, its job follows its
        source folder."""
        return nullcontext() if self.watch is None else self.watch.job_run(request)

    def removed_on_purpose(self, container_names: list[str]) -> bool:
        return bool(container_names) and set(container_names) <= self.removed

    def unsupported(self, message: str) -> None:
        self.notices.once(message)

    def wait_until_serving(self, endpoint: ServingWait) -> None:
        """Wait for the endpoint's /ping; fail once this run's serving container died or
        its compose ended unanswered (see :func:`.ping.wait_until_serving`)."""
        ping.wait_until_serving(
            endpoint,
            exited=lambda: self.diagnosis.exited(role="serving"),
            explain=lambda: self.diagnosis.failures(role="serving"),
            say=say,
        )

    # -- the rest of the run -----------------------------------------------------------

    def _retire(self, targets: list[DebugTarget], containers: list[str]) -> None:
        """A finished run's containers go, its ports are free for the next (the IDE's
        attach configuration still fits), and it leaves the state file."""
        self.engine.remove_named(containers)
        with self.lock:
            services = {t.service for t in targets}
            self.targets = [t for t in self.targets if t.service not in services]
            self.state.drop(services)
            freed = [p for t in targets for p in t.host_ports]
            if self.relay is not None:
                self.relay.release(freed)
            if self.ports is not None:
                self.ports.release(freed)
            self.state.save(self.script)

    def _published(self, container: Locator, container_port: int) -> int | None:
        """Where Docker published a container's debug port (the relay forwards there)."""
        name, service = container
        labels = (f"{LABEL_RUN}={self.run_id}", f"com.docker.compose.service={service}")
        return self.engine.published_port(container_port, name=name, labels=labels)

    def _restart(self, container: str) -> None:
        """Restart a serving container in place (its exit is expected, not a failure)."""
        self.removed.add(container)
        self.engine.restart(container)

    def _hot_apply(self, container: str, changes: list[dict]) -> list[dict]:
        """Apply edited function bodies inside a running serving container (see
        :mod:`.watch.hot`); each debugged process's answer."""
        from .watch import hot

        return hot.apply_in(self.engine.client.containers.get(container), changes)

    def locate(self, copy_dir: str) -> str | None:
        """The user's directory a downloaded copy of code came from (see :mod:`.sources`)."""
        return sources.locate(
            copy_dir, self.script, self.unsupported, mapped=bool(self.options.path_mappings)
        )

    def close(self) -> None:
        """Unhook the SDK and remove this run's containers. Safe to call twice."""
        self.closed = True
        if self.watch is not None:
            watch, self.watch = self.watch, None
            watch.close()
        for undo in self._undo:
            undo()
        self._undo = []
        self.state.close()
        self.bytecode.close()
        if self._labelled:
            self._remove_containers()
        if self.relay is not None:
            self.relay.close()
        if self.ports is not None:
            self.ports.close()

    def _remove_containers(self) -> None:
        """Remove this run's containers; if the engine went away meanwhile (a daemon
        restart), once it answers again -- or say who will."""
        roots = None if self._compose_roots is None else frozenset(self._compose_roots)
        for _attempt in (1, 2):
            try:
                removed = self._remove_labelled()
                # compose ends by itself once its containers are gone; with none removed
                # there is nothing it waits for (a compose still creating one is ended).
                await_compose_children(roots, timeout=10.0 if removed else 0.0)
                self._remove_labelled()  # created while compose was ending (never started)
                return
            except engine_errors() as exc:
                error = exc
                if not self.engine.answers(within=DOCKER_BACK_WITHIN):
                    say(messages.DOCKER_NOT_BACK.text(seconds=DOCKER_BACK_WITHIN))
                    return
        # The engine answers but refused twice: say what it said, not that it is gone.
        reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        say(messages.NOT_REMOVED.text(reason=reason))

    def _remove_labelled(self) -> int:
        containers = self.engine.containers(LABEL_RUN, self.run_id)
        self.removed.update(c.name for c in containers)
        return self.engine.remove_containers(containers)

    def __enter__(self) -> DebugSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # no longer the active session (see api.active)

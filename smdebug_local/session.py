"""A debugging session: the SDK hooks, port allocation and clean-up for one run.

:func:`enable` (the notebook API) and ``smdebug-local run`` both create exactly one
:class:`DebugSession`. It receives every compose configuration local mode generates,
turns the services it can debug into debuggable ones (:mod:`smdebug_local.compose`, with
per-role settings from :mod:`smdebug_local.roles`), labels every container it sees, and on
:meth:`DebugSession.close` removes the containers it labelled -- so a run leaves nothing
behind, even when the driver script fails or never calls ``delete_endpoint``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import debugpy_cache, ping, sources, state
from .compose import (
    LABEL_HOST, LABEL_PID, LABEL_ROLE, LABEL_RUN, DebugTarget, Mount, env_to_dict,
    label_service, published_port, transform_service,
)
from .engine import Engine, await_compose_children, compose_command
from .errors import SmdebugError
from .options import HOST_FROM_CONTAINER, PYCHARM_PORT_OFFSETS, DebugOptions
from .payload import PAYLOAD_DIR
from .ports import PortAllocator, Reservations, is_free
from .roles import ROLES, plan
from .sdk import ComposeRequest, TrainingRequest, available_adapters, install_on_import

if TYPE_CHECKING:  # watch mode and export-compose load their modules only when used
    from .export import Exporter
    from .jobs import TrainingJob
    from .watcher import Watch

def _say(message: str) -> None:
    print(f"smdebug-local: {message}", file=sys.stderr, flush=True)


@dataclass
class DebugSession:
    """State of one debugging run; use :func:`enable` to create one."""

    options: DebugOptions
    engine: Engine = field(default_factory=Engine)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    targets: list[DebugTarget] = field(default_factory=list)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _mount: Mount | None = None
    _ports: PortAllocator | None = None
    _reservations: Reservations | None = None
    _image_env: dict[str, dict[str, str] | None] = field(default_factory=dict)
    # Re-entrant: on_compose (holding it) may say something once via unsupported().
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _warned: set[str] = field(default_factory=set)
    _labelled: bool = False
    _removed: set[str] = field(default_factory=set)
    _state: list[dict] = field(default_factory=list)
    workspace: Path = field(default_factory=Path.cwd)
    # Watch mode: the jobs following their sources, the job whose containers this thread
    # is starting, and where containers report a paused debugger.
    _watch: Watch | None = None
    _current: threading.local = field(default_factory=threading.local)
    _status_root: str | None = None
    # export-compose: sees every compose configuration before it is made debuggable.
    exporter: Exporter | None = None

    def start(self) -> DebugSession:
        """Check the machine, prepare the payload and hook the SDK (fails fast, one line)."""
        # Cheapest and most common problems first (importing the SDK takes seconds), and
        # all before the job's image is pulled or its data copied.
        self.engine.ping()
        compose_command()
        if self.options.mode == "listen":
            # Connect mode publishes nothing: the port is the IDE's, and must be in use.
            self._reservations = Reservations(debugpy_cache.cache_root() / "ports")
            self._ports = PortAllocator(
                self.options.port, bind=self.options.bind, explicit=self.options.port_explicit,
                probe=lambda port, bind: is_free(port, bind) and self._reservations.claim(port),
            )
            self._ports.check()
        pycharm_dir = None
        if self.options.ide == "pycharm":
            from . import pycharm

            build = self.options.pycharm_build or pycharm.detect_build()
            if build is None:
                raise SmdebugError("cannot find your PyCharm's build number; pass it with "
                                   "--pycharm-build (Help > About, e.g. 263.7307.50)")
            pycharm_dir = str(pycharm.prepare(pycharm.check_build(build), log=_say))
        self._mount = Mount(str(PAYLOAD_DIR), str(debugpy_cache.prepare(log=_say)), pycharm_dir)
        adapters = available_adapters()
        if self.options.exposed:
            _say(
                f"WARNING: debug ports are published on {self.options.bind}; anyone who can "
                "reach this address can run code in the containers"
            )
        if self.options.watch:
            from .watcher import Watch

            self._status_root = tempfile.mkdtemp(prefix="smdebug-local-status-")
            self._watch = Watch(_say, policy=self.options.on_change,
                                interrupt_paused=self.options.interrupt_paused)
        self._undo = [install_on_import(adapter, self) for adapter in adapters]
        return self

    # -- SDK hooks ---------------------------------------------------------------------

    def on_compose(self, request: ComposeRequest) -> dict:
        """Return the debuggable version of one compose configuration (called by adapters)."""
        labels = {LABEL_RUN: self.run_id, LABEL_PID: str(os.getpid()),
                  LABEL_HOST: socket.gethostname()}
        settings = ROLES.get(request.role)
        if self.exporter is not None:
            self.exporter.capture(request.role, request.image, request.content, request.workdir)
        with self._lock:
            self._labelled = True
            content = dict(request.content)
            services = dict(content.get("services") or {})
            # Looked up once per image; None (not on this machine) explains a failed pull later.
            image_env = self._image_env_of(request.image) or {}
            if settings is None and request.role not in self._warned:
                self._warned.add(request.role)
                _say(f"{request.role} containers are not debugged by this version; "
                     "they run unchanged")
            for name, service in services.items():
                if settings is None:
                    services[name] = label_service(service, request.role, labels)
                    continue
                p = plan(settings, service, wait=self.options.wait,
                         user_mappings=self.options.path_mappings, locate=self._locate)
                connect = self.options.mode == "connect"
                target = DebugTarget(
                    role=request.role, service=name,
                    host_ports=() if connect else tuple(
                        self._ports.allocate() for _ in range(p.port_count)),
                    bind=self.options.bind, wait=p.wait, match=p.match, mappings=p.mappings,
                    volumes=p.volumes, env_defaults=p.env_defaults, labels=labels,
                    connect=(HOST_FROM_CONTAINER, self._connect_port(request.role))
                    if connect else None,
                    status_dir=self._status_dir(name),
                    debugger="pydevd-pycharm" if self.options.ide == "pycharm" else "debugpy",
                    defer=p.defer,
                )
                services[name] = transform_service(service, target, self._mount, image_env)
                self.targets.append(target)
                self._state.append(state.target_entry(target, service))
                self._follow(request.role, target, service)
            content["services"] = services
            self._write_state()
            if self.options.ide == "vscode":
                self._sync_vscode()
            return content

    def before_stop(self, container_names: list[str]) -> None:
        """Remove containers the SDK is about to stop: instant instead of a 10 s grace."""
        self._removed.update(container_names)
        if self._watch is not None:
            from .jobs import Endpoint

            for job in self._watch.jobs():
                if isinstance(job, Endpoint) and job.container in container_names:
                    self._watch.forget(job)
        self.engine.remove_named(container_names)

    @contextmanager
    def training_run(self, request: TrainingRequest) -> Iterator[None]:
        """The script's training call: in watch mode, its job follows its source folder."""
        if self._watch is None:
            yield
            return
        from .changes import Source
        from .jobs import TrainingJob

        job = None
        if request.source_dir is None:
            self.unsupported(f"--watch: training job {request.name} runs code from S3 "
                             "(local_code is off); it is not rerun on changes")
        else:
            job = TrainingJob(
                name=request.name,
                source=Source("training", request.source_dir, request.entry_point),
                rerun=lambda attempt: self._collecting(job, request.rerun, attempt),
                retire=self._retire, remove=self.engine.remove_named, say=_say,
            )
            self._watch.add(job)
        self._current.job = job
        self._current.in_training_run = True
        try:
            yield
        finally:
            self._current.job = None
            self._current.in_training_run = False
            if job is not None:
                job.original_running = False

    def _collecting(self, job: TrainingJob, function: Callable, *args) -> object:
        """Run ``function`` with the containers it starts counted as ``job``'s."""
        self._current.job = job
        try:
            return function(*args)
        finally:
            self._current.job = None

    def _retire(self, targets: list[DebugTarget], containers: list[str]) -> None:
        """A finished run's containers go, its ports become free for the next run (so the
        IDE's saved attach configuration still fits) and it leaves the state file."""
        self.engine.remove_named(containers)
        with self._lock:
            services = {t.service for t in targets}
            self.targets = [t for t in self.targets if t.service not in services]
            self._state = [e for e in self._state if e.get("service") not in services]
            if self._ports is not None:
                self._ports.release(p for t in targets for p in t.host_ports)
            self._write_state()

    def _sync_vscode(self) -> None:
        """``run --ide vscode``: .vscode/launch.json and tasks.json entries that match this
        run's real ports and folders (VS Code reloads them as they change)."""
        from .ide import vscode

        connect = self.options.mode == "connect"
        try:
            layout = vscode.run_layout(
                self.targets, self.workspace, sys.argv[0] if sys.argv else "",
                self.options.port, self.options.port_explicit, connect,
                listen_host=(self.engine.bridge_gateway() or "172.17.0.1") if connect else "")
            if layout is None:
                return
            written = vscode.init(self.workspace, layout)
        except (SmdebugError, OSError) as err:
            self.unsupported(f"--ide vscode: {err}")
            return
        names = " and ".join(str(p.relative_to(self.workspace)) for p in written)
        self._say_once(f"wrote {names} for this run: attach with the \"smdebug-local: "
                       "...\" configurations (they follow the run's ports)")

    def _connect_port(self, role: str) -> int:
        """The IDE port a container of ``role`` connects to: one for every role, but one
        per role with PyCharm (each Debug Server configuration has its role's mapping)."""
        if self.options.ide == "pycharm":
            return self.options.port + PYCHARM_PORT_OFFSETS.get(role, 0)
        return self.options.port

    def _status_dir(self, service: str) -> str | None:
        """A fresh folder the service's processes report a paused debugger in (watch mode)."""
        if self._status_root is None:
            return None
        path = os.path.join(self._status_root, service)
        os.makedirs(path, exist_ok=True)
        return path

    def _follow(self, role: str, target: DebugTarget, service: dict) -> None:
        """Count ``target`` to the job starting it; an endpoint with live source follows it."""
        if self._watch is None:
            return
        from .changes import Source
        from .jobs import Endpoint

        container = str(service.get("container_name") or target.service)
        job = getattr(self._current, "job", None)
        if job is not None:
            job.runs.add(target, container)
        elif role == "training" and not getattr(self._current, "in_training_run", False):
            # Not started through training_run(): ModelTrainer (S3 code said so already).
            self.unsupported("--watch: this SDK's training jobs (ModelTrainer) are not rerun "
                             "on changes yet; SDK estimators with local_code are")
        elif role == "processing":
            self.unsupported("--watch: processing jobs are not rerun on changes yet")
        elif role == "serving":
            live = [local for local, remote in target.mappings
                    if remote in ROLES["serving"].live_code]
            port = published_port(service, 8080) or 8080
            if not live:
                self.unsupported(f"--watch: serving container {container} runs code baked into "
                                 "its image; rebuild the image to change it")
                return
            env = env_to_dict(service.get("environment"))
            endpoint = Endpoint(
                container=container,
                source=Source("serving", live[0], env.get("SAGEMAKER_PROGRAM") or None),
                base_url=f"http://127.0.0.1:{port}", restart=self._restart, say=_say)
            endpoint.runs.add(target, container)
            self._watch.add(endpoint)

    def _restart(self, container: str) -> None:
        """Restart a serving container in place (its exit is expected, not a failure)."""
        self._removed.add(container)
        self.engine.restart(container)

    def watch_until_interrupted(self) -> None:
        """Keep following sources until Ctrl-C (returns at once if nothing is followed)."""
        if self._watch is None:
            return
        jobs = self._watch.jobs()
        if not jobs:
            _say("--watch: no training job or endpoint with local source to watch; done")
            return
        _say(f"script done; still watching {len(jobs)} job(s) for changes (Ctrl-C to stop)")
        while True:
            time.sleep(0.5)

    def removed_on_purpose(self, container_names: list[str]) -> bool:
        return bool(container_names) and set(container_names) <= self._removed

    def unsupported(self, message: str) -> None:
        self._say_once(message)

    def _say_once(self, message: str) -> None:
        with self._lock:
            if message in self._warned:
                return
            self._warned.add(message)
        _say(message)

    def wait_until_serving(self, ping_url: str) -> None:
        """Wait for ``/ping``; fail at once if a serving container of this run died."""
        ping.wait_until_serving(ping_url, lambda: self.report_failures(role="serving"), _say)

    # -- helpers -----------------------------------------------------------------------

    def _write_state(self) -> None:
        """Rewrite the workspace's state file; a read-only workspace only loses that file."""
        if not self._state:
            return
        try:
            state.write(self.workspace, state.document(
                self.run_id, os.getpid(), sys.argv[0] if sys.argv else "", self._state))
        except OSError as err:
            self.unsupported(f"cannot write {state.state_path(self.workspace)} ({err.strerror}); "
                             "`smdebug-local status` will not see this run")

    def _locate(self, copy_dir: str) -> str | None:
        """The user's directory a downloaded copy of code came from (searched from the
        working directory and the driver script's); says how to map it when not found."""
        script = sys.argv[0] if sys.argv else ""
        script_dir = os.path.dirname(os.path.abspath(script)) if script else ""
        roots = list(dict.fromkeys(r for r in (os.getcwd(), script_dir) if r))
        found = sources.find_original(copy_dir, roots)
        if found is None and not self.options.path_mappings:
            self.unsupported(
                f"could not find the local folder of the code local mode copied to {copy_dir} "
                f"(searched {', '.join(roots)}); breakpoints need `--map LOCAL_DIR=<container "
                "code dir>`")
        return found

    def _image_env_of(self, image: str) -> dict[str, str] | None:
        """The image's environment; None if the image is not on this machine (yet)."""
        if image not in self._image_env:
            self._image_env[image] = self.engine.image_env(image)
        return self._image_env[image]

    def report_failures(self, role: str | None = None) -> list[str]:
        """One line per container of this run that failed, quoting its last output.

        An image whose Python is missing or too old gets that said plainly instead: the
        container's own error ("exec: train: not found") does not name the cause.
        """
        for image, env in list(self._image_env.items()):
            if env is None:  # missing at compose time; local mode may have pulled it since
                self._image_env[image] = self.engine.image_env(image)
        lines = [f"image {image} is not on this machine and could not be pulled; build it or "
                 f"`docker pull {image}`, then run again"
                 for image, env in self._image_env.items() if env is None]
        for fail in self.engine.failures(LABEL_RUN, self.run_id, LABEL_ROLE):
            if role is not None and fail.role != role:
                continue
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
        if self._watch is not None:
            watch, self._watch = self._watch, None
            # Cancelling a rerun removes its containers; compose and the SDK then return.
            watch.stop()
        for undo in self._undo:
            undo()
        self._undo = []
        if self._state:
            state.remove(self.workspace, self.run_id)
        if self._labelled:
            self._removed.update(c.name for c in self.engine.containers(LABEL_RUN, self.run_id))
            self.engine.remove(LABEL_RUN, self.run_id)
            await_compose_children()
        if self._reservations is not None:
            self._reservations.release()
        if self._status_root is not None:
            shutil.rmtree(self._status_root, ignore_errors=True)
            self._status_root = None

    def __enter__(self) -> DebugSession:
        return self

    def __exit__(self, *exc) -> None:
        disable()


_active: DebugSession | None = None


def activate(session: DebugSession) -> DebugSession:
    """Make ``session`` the one :func:`disable` closes (replacing any earlier one)."""
    global _active
    if _active is not None and _active is not session:
        disable()
    _active = session
    return session


def enable(
    port: int | None = None,
    *,
    wait: bool | None = None,
    bind: str = "127.0.0.1",
    path_mappings: dict[str, str] | None = None,
    mode: str = "listen",
) -> DebugSession:
    """Debug every training and serving container SageMaker local mode starts from now on.

    Call before ``fit()``/``deploy()``; undo with :func:`disable`, or use the returned
    session as a context manager. ``port`` is the first host port (default 5678, next free
    ports for further containers and model-server workers; an explicit port must be free).
    ``wait``: None waits in training only, True also makes model loading wait, False never
    waits. Debug ports are published on ``bind`` (loopback by default: debugpy runs any code
    it is sent). ``path_mappings`` maps local folders to container folders for code baked
    into an image, e.g. ``{"./program": "/opt/program"}``. ``mode="connect"`` makes every
    container connect back to an IDE listening on ``port`` instead (see the README).
    """
    options = DebugOptions.from_user(
        port, wait=wait, bind=bind, mode=mode,
        path_mappings=tuple(DebugOptions.parse_mapping(f"{k}={v}")
                            for k, v in (path_mappings or {}).items()),
    )
    return activate(DebugSession(options).start())


def disable() -> None:
    """Stop debugging and remove the containers it started; local mode is as before again."""
    global _active
    session, _active = _active, None
    if session is not None:
        session.close()


def active() -> DebugSession | None:
    """The session :func:`enable` started, if any."""
    return _active


# At interpreter exit, clean up *before* Python joins non-daemon threads: local mode serves
# from a non-daemon thread that only ends when its container does, so a script that never
# calls delete_endpoint would otherwise hang forever after its last line.
_register_early_atexit = getattr(threading, "_register_atexit", None)
if _register_early_atexit is not None:
    _register_early_atexit(disable)
atexit.register(disable)

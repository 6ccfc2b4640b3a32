"""How a debugging run (:class:`~smdebug_local.run_context.RunContext`) makes one container
debuggable: compose services (local mode) and docker-py containers (ModelBuilder's) alike.

Both end in :func:`debug_service`: the role's plan (:mod:`.roles`), host ports, the target
(:mod:`.targets`), the service rewrite (:mod:`.compose`), and the target listed in the
state file. A docker-py container is converted to a service and back
(:mod:`.docker_run`), so it gets exactly what a compose service gets.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import string
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import docker_run, messages, runtimes
from .compose import code_mappings, env_to_dict, label_service, short_host, transform_service
from .roles import ROLES, Plan, RoleSettings, plan
from .sdk import ComposeRequest, ContainerRequest
from .targets import debug_target

if TYPE_CHECKING:
    from .run_context import RunContext

# The role label of the compose copy SDK 3.x ModelBuilder starts next to its own container
# (it fails on the port that container holds): labelled for clean-up, never debugged, and
# no serving failure of this run.
COPY_ROLE = "serving-copy"
# Where a serving container has its model (ModelBuilder's: with code/serve.pkl).
MODEL_DIR = "/opt/ml/model"


def debug_service(
    session: RunContext,
    role: str,
    settings: RoleSettings,
    name: str,
    service: Mapping,
    image: str,
    source_dirs: tuple[str, ...] | None = None,
    step: str | None = None,
) -> dict:
    """``service`` made debuggable: planned, given ports, listed (call with the lock held).

    ``source_dirs`` (ModelBuilder's containers and models: the folders of the user's
    pickled code) are mounted at their own paths; such containers are not followed by
    watch mode (it reloads compose endpoints only). ``step``: the pipeline step the
    container's job runs for (its lines, the state file and ``status`` name it).
    """
    user_mappings = session.options.path_mappings
    program = None
    if not user_mappings and source_dirs is None:  # a --map is the user's choice
        program = session.programs.find(image, command(service), role)
    auto_mapped = program is not None and program.local is not None
    if program is not None and program.local is not None:
        user_mappings = ((program.local, program.remote),)
    image_env = session.diagnosis.image_env(image) or {}
    runtime = runtimes.recognise(role, {**image_env, **env_to_dict(service.get("environment"))})
    p = plan(
        settings,
        service,
        wait=session.options.wait,
        user_mappings=user_mappings,
        locate=session.locate,
        runs_from=runtime.code_dirs[0] if runtime is not None and runtime.code_dirs else None,
        **(
            {**job_resources(service), "host": short_host(name), "ranks": session.options.ranks}
            if settings.per_rank
            else {}
        ),
    )
    p = with_sources(p, source_dirs) if source_dirs is not None else p
    ports = (
        ()
        if session.ports is None
        else tuple(session.ports.allocate() for _ in range(p.port_count))
    )
    watch = session.watch if source_dirs is None else None
    target = debug_target(
        role,
        name,
        p,
        session.options,
        host_ports=ports,
        labels=session.labels,
        status_dir=watch.status_dir(name) if watch is not None else None,
        step=step,
        secret=session.secret,
    )
    if auto_mapped:
        target = dataclasses.replace(target, auto_mapped=True)
    if session.relay is not None:
        container = service.get("container_name")
        for (container_port, _), port in zip(target.ports, target.host_ports):
            session.relay.route(port, (container, name), container_port)
    session.targets.append(target)
    session.state.add(target, service)
    if watch is not None:
        watch.follow(role, target, dict(service))
    bytecode_dir = session.bytecode.for_image(image) if target.debugger == "debugpy" else None
    return transform_service(service, target, session.mount, image_env, bytecode_dir)


def _json_file(service: Mapping, container_dir: str, *path: str) -> dict:
    """The JSON object in the host folder mounted at ``container_dir`` ({} if none)."""
    for local, _ in code_mappings(service, container_dir):
        try:
            loaded = json.loads(Path(local, *path).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(loaded, dict):
            return loaded
    return {}


def job_resources(service: Mapping) -> dict:
    """A training service's hyperparameters (the hyperparameters.json local mode wrote
    before the compose file; ModelTrainer's distributed.json in its driver channel) and the
    GPUs it reserves: how many ranks a host runs."""
    hyperparameters = _json_file(service, "/opt/ml/input", "config", "hyperparameters.json")
    distributed = _json_file(service, "/opt/ml/input/data/sm_drivers", "distributed.json")
    devices = (
        ((service.get("deploy") or {}).get("resources") or {}).get("reservations") or {}
    ).get("devices") or []
    gpus = 0
    if any("gpu" in (d.get("capabilities") or []) for d in devices if isinstance(d, Mapping)):
        try:
            gpus = len(os.listdir("/proc/driver/nvidia/gpus"))
        except OSError:
            gpus = 0
    return {"hyperparameters": hyperparameters, "gpus": gpus, "distributed": distributed}


def command(service: Mapping) -> str:
    """The program a service runs: local mode's ``train`` or ``serve`` (a string, or a
    list in other writers' files)."""
    value = service.get("command") or ""
    words = value.split() if isinstance(value, str) else [str(w) for w in value]
    return words[0] if words else ""


def compose(session: RunContext, request: ComposeRequest) -> dict:
    """The debuggable version of one compose configuration (with the session's lock)."""
    settings = ROLES.get(request.role)
    content = dict(request.content)
    services = dict(content.get("services") or {})
    copy = request.role == "serving" and session.builders.copying(services)
    if settings is None:
        session.unsupported(
            f"{request.role} containers are not debugged by this version; they run unchanged"
        )
    for name, service in services.items():
        if settings is None or copy:
            services[name] = label_service(service, copy or request.role, session.labels)
            continue
        sources = session.builders.sources_of(service) if request.role == "serving" else ()
        services[name] = debug_service(
            session,
            request.role,
            settings,
            name,
            service,
            request.image,
            source_dirs=sources or None,
            step=request.step,
        )
    content["services"] = services
    publish(session)
    return content


def publish(session: RunContext) -> None:
    """The state file and the IDE's configurations follow the targets (with the lock)."""
    session.state.save(session.script)
    if session.options.ide == "vscode":
        from .ide.follow import sync_vscode

        sync_vscode(
            session.targets,
            session.workspace,
            session.script,
            session.options,
            session.engine.bridge_gateway,
            session.notices.once,
            driver_port=session.state.driver_port,
        )


def with_sources(p: Plan, source_dirs: tuple[str, ...]) -> Plan:
    """``p`` with each host folder mounted read-only at its own path, mapped to itself
    (first: the waiting line shows the user's folder)."""
    mine = tuple((d, d) for d in source_dirs)
    return dataclasses.replace(
        p,
        mappings=mine + tuple(m for m in p.mappings if m not in mine),
        volumes=p.volumes + tuple(f"{d}:{d}" for d in source_dirs),
    )


def container_name() -> str:
    """A name for a container the SDK left unnamed (``status`` and clean-up find it)."""
    alphabet = string.ascii_lowercase + string.digits
    return "modelbuilder-" + "".join(secrets.choice(alphabet) for _ in range(5))


class Builders:
    """The session's side of ModelBuilder's docker-py containers."""

    def __init__(self, session: RunContext) -> None:
        self._session = session
        self._inside = threading.local()
        # Folders of the user's files whose code was pickled by value (InferenceSpecs).
        self.pickled: set[str] = set()

    def sources_of(self, service: Mapping) -> tuple[str, ...]:
        """The folders to mount for a serving service of a model ModelBuilder built (its
        ``code/serve.pkl`` holds code of theirs; SDK 3.x batch transform runs it through
        local mode's compose)."""
        if not self.pickled or not any(
            Path(local, "code", "serve.pkl").is_file()
            for local, _ in code_mappings(service, MODEL_DIR)
        ):
            return ()
        return tuple(sorted(self.pickled))

    def debug(self, request: ContainerRequest) -> dict:
        """``containers.run`` keyword arguments for ``request``: debuggable, or labelled
        only when it cannot be (call with the session's lock held)."""
        session = self._session
        name = request.kwargs.get("name") or container_name()
        service = docker_run.to_service(request.kwargs, name)
        settings = ROLES.get(request.role)
        if settings is None or not docker_run.debuggable(request.kwargs):
            session.unsupported(messages.MODEL_BUILDER_HOST_NETWORK.text(image=request.image))
            service = label_service(service, request.role, session.labels)
        else:
            if request.code_dirs:
                settings = dataclasses.replace(
                    settings, code_dirs=request.code_dirs, live_code=(), model_code=None
                )
            service = debug_service(
                session,
                request.role,
                settings,
                name,
                service,
                request.image,
                source_dirs=request.source_dirs,
            )
            publish(session)
        return docker_run.to_run_kwargs(service, request.kwargs)

    @contextmanager
    def endpoint(self) -> Iterator[None]:
        """ModelBuilder is registering its endpoint with local mode on this thread."""
        self._inside.active = True
        try:
            yield
        finally:
            self._inside.active = False

    def copying(self, services: Mapping) -> str | None:
        """The role label for a serving compose configuration that is ModelBuilder's copy
        (its containers' exit is expected), or None for a real endpoint."""
        if not getattr(self._inside, "active", False):
            return None
        self._session.removed.update(
            s["container_name"]
            for s in services.values()
            if isinstance(s, Mapping) and s.get("container_name")
        )
        return COPY_ROLE

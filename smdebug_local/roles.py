"""Per-role debug settings, kept as data (as SAM CLI keeps its per-runtime debug settings).

A role is what local mode runs a container for (training, serving, processing). Its settings
say where local mode mounts the user's code and how many debug ports a container needs;
which processes run the user's code, and what a paused debugger needs of them, is each
stack's own (:mod:`smdebug_local.runtimes`), gathered here per role. Everything here is
pure: :func:`plan` turns a role, a compose service and the user's options into the pieces
of a :class:`~smdebug_local.compose.DebugTarget`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import runtimes
from .compose import code_mappings, env_to_dict

# Where model servers import the user's code from, unless their stack says another folder
# (:mod:`smdebug_local.runtimes`): the code/ copy in the model archive, mounted live.
SERVING_CODE_DIR = "/opt/ml/model/code"


@dataclass(frozen=True)
class RoleSettings:
    """How containers of one role are debugged.

    code_dirs     -- where local mode mounts the user's source directory
    model_code    -- the copy of the code a model archive holds (``code/`` of the folder
                     mounted at /opt/ml/model): when nothing is mounted at ``code_dirs``
                     (TensorFlowModel repacks the code and mounts none), the user's folder
                     behind it is located by content and mounted over it
    copied_code   -- what is mounted there is a copy local mode downloaded (processing code
                     goes through S3), so the user's own directory has to be located
    match         -- fnmatch patterns of the programs that run user code
    wait          -- whether they wait for a debugger unless the user says otherwise
    live_code     -- container dirs that hold a *copy* of the source; the live source is
                     mounted over them (read-only) so breakpoints and edits line up
    env_defaults  -- environment set unless the job already sets it
    per_worker    -- one debug port per model-server worker (each is its own process tree)
    per_rank      -- one debug port per process of a distributed job on one host (torchrun
                     and mpirun start ranks that are no debugged process's children)
    map_matches   -- also treat programs under the user's ``--map`` roots as user code
    defer_match   -- processes (fnmatch) whose debugger starts only when they import the
                     user's code, so the server's own imports run untraced (faster starts)
    defer_roots   -- folders whose first import starts a deferred debugger, beyond the
                     mapped ones (the stacks' own code folders)
    stacks        -- the role's runtimes as the payload names processes by
    """

    code_dirs: tuple[str, ...]
    match: tuple[str, ...]
    wait: bool
    copied_code: bool = False
    live_code: tuple[str, ...] = ()
    env_defaults: Mapping[str, str] = field(default_factory=dict)
    per_worker: bool = False
    per_rank: bool = False
    map_matches: bool = True
    defer_match: tuple[str, ...] = ()
    defer_roots: tuple[str, ...] = ()
    stacks: tuple[Mapping, ...] = ()
    model_code: str | None = None


def _of_role(role: str, **settings) -> RoleSettings:
    """``settings`` with ``role``'s runtimes' patterns, timeouts and names."""
    return RoleSettings(
        match=runtimes.match(role),
        env_defaults=runtimes.env_defaults(role),
        defer_match=runtimes.defer_match(role),
        defer_roots=runtimes.code_dirs(role),
        stacks=tuple(runtimes.payload(role)),
        **settings,
    )


ROLES: dict[str, RoleSettings] = {
    # The training toolkit and ModelTrainer run the entry point from where the code is
    # mounted (runtimes.training_toolkit).
    "training": _of_role(
        "training", code_dirs=("/opt/ml/code", "/opt/ml/input/data/code"), wait=True, per_rank=True
    ),
    # A downloaded copy of the code (runtimes.processing).
    "processing": _of_role(
        "processing", code_dirs=("/opt/ml/processing/input/code",), wait=True, copied_code=True
    ),
    # Model servers import the user module from /opt/ml/model/code, a copy repacked into
    # model.tar.gz; with local code the SDK mounts the user's folder at /opt/ml/code.
    "serving": _of_role(
        "serving",
        code_dirs=("/opt/ml/code",),
        wait=False,
        live_code=(SERVING_CODE_DIR,),
        model_code="/opt/ml/model",
        per_worker=True,
        # A BYOC `serve` program under the mapped root only starts the server: debugging
        # it would take the port its workers need.
        map_matches=False,
    ),
}


@dataclass(frozen=True)
class Plan:
    """The role-derived parts of a debug target for one service."""

    match: tuple[str, ...]
    mappings: tuple[tuple[str, str], ...]
    volumes: tuple[str, ...]
    env_defaults: Mapping[str, str]
    wait: bool
    port_count: int
    defer: Mapping | None = None  # see _smdebug_local_boot.StartOnImport
    stacks: tuple[Mapping, ...] = ()  # the role's runtimes, as the payload names processes
    # A distributed job's host: the rank each debug port is for (the payload's port_slot
    # gives rank R of the host that port every run); () when not known.
    slot_ranks: tuple[int, ...] = ()


def worker_count(service_env: Mapping[str, str], cpus: int) -> int:
    """How many model-server workers (hence debug ports) a serving container may run."""
    for key in ("SAGEMAKER_MODEL_SERVER_WORKERS", "MODEL_SERVER_WORKERS"):
        value = service_env.get(key, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, cpus)


# Hyperparameters that make the training toolkit launch the entry point once per process
# of a host (torchrun for torch_distributed; mpirun for mpi, smdistributed data parallel).
DISTRIBUTED_SWITCHES = (
    "sagemaker_torch_distributed_enabled",
    "sagemaker_mpi_enabled",
    "sagemaker_distributed_dataparallel_enabled",
    "sagemaker_pytorch_ddp_enabled",
)


def _hyperparameter(hyperparameters: Mapping[str, object], key: str) -> object:
    """A hyperparameter as the toolkit reads it (local mode writes most JSON-encoded)."""
    value = hyperparameters.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def processes_per_host(
    hyperparameters: Mapping[str, object], gpus: int, distributed: Mapping | None = None
) -> int:
    """How many processes of the entry point a distributed training job runs per host, by
    the toolkit's own rule (sagemaker-training's ``runner._get_by_runner_type``):
    ``sagemaker_mpi_num_of_processes_per_host``, else one per GPU, else one. SDK 3.x
    ``ModelTrainer(distributed=Torchrun()/MPI())`` writes its own ``distributed.json``
    instead, whose drivers apply the same rule to ``process_count_per_node``."""
    if distributed:
        count = distributed.get("process_count_per_node")
        return count if isinstance(count, int) and count > 0 else max(1, gpus)
    switches = (_hyperparameter(hyperparameters, key) for key in DISTRIBUTED_SWITCHES)
    if not any(v is True or str(v).lower() == "true" for v in switches):
        return 1
    value = _hyperparameter(hyperparameters, "sagemaker_mpi_num_of_processes_per_host")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, gpus)


def slot_ranks(per_host: int, host: str, ranks: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The ranks whose processes a host of a distributed job debugs, one per debug port in
    port order: ``algo-H`` runs ranks (H-1)*N .. H*N-1 (as the toolkit's torchrun and
    mpirun number them), or with ``--ranks`` the chosen ones among them. None when the
    host's name does not say which it is."""
    if not host.startswith("algo-") or not host[5:].isdecimal():
        return None
    first = (int(host[5:]) - 1) * per_host
    return tuple(r for r in range(first, first + per_host) if ranks is None or r in ranks)


def _roots(mappings: list[tuple[str, str]], extra: tuple[str, ...]) -> list[str]:
    """The container folders of the user's code: the mapped ones, then ``extra`` folders
    not inside one of them."""
    roots = list(dict.fromkeys(remote.rstrip("/") for _, remote in mappings))
    for folder in extra:
        if not any(folder == r or folder.startswith(r + "/") for r in roots):
            roots.append(folder)
    return roots


def plan(
    settings: RoleSettings,
    service: Mapping,
    *,
    wait: bool | None,
    user_mappings: tuple[tuple[str, str], ...] = (),
    cpus: int | None = None,
    locate: Callable[[str], str | None] = lambda copy_dir: None,
    hyperparameters: Mapping[str, object] | None = None,
    gpus: int = 0,
    distributed: Mapping | None = None,
    host: str = "",
    ranks: tuple[int, ...] | None = None,
    runs_from: str | None = None,
) -> Plan:
    """Derive match patterns, path mappings, mounts, environment and port count.

    ``locate(copy_dir)`` finds the user's directory a downloaded copy of code came from
    (roles with ``copied_code``); a copy it cannot place stays mapped as it is.
    ``hyperparameters`` (the job's hyperparameters.json) and ``gpus`` (the GPUs the
    container gets) say how many ranks a distributed job starts per host; ``host``
    (``algo-2``) and ``ranks`` (``--ranks``) how many of them are debugged.
    ``runs_from``: the container folder the image's stack imports the user's code from
    (:func:`smdebug_local.runtimes.recognise`), when it says one; the user's folder is
    mapped there first (a debugger translates a breakpoint by the first mapping of its
    folder), after any mapping the user gave.
    """
    mounted = [m for code_dir in settings.code_dirs for m in code_mappings(service, code_dir)]
    if settings.copied_code:
        mounted = [(locate(local) or local, remote) for local, remote in mounted]
    mappings = list(user_mappings)
    volumes = []
    if not mounted and not user_mappings and settings.model_code:
        for local, _ in code_mappings(service, settings.model_code):
            original = locate(f"{local.rstrip('/')}/code")
            if original is not None:
                mappings.append((original, f"{settings.model_code}/code"))
                volumes.append(f"{original}:{settings.model_code}/code")
    for local, _ in mounted:
        for copy_dir in settings.live_code:
            mappings.append((local, copy_dir))
            volumes.append(f"{local}:{copy_dir}")
    mappings += [m for m in mounted if m not in mappings]
    if runs_from is not None:
        given = len(user_mappings)
        found = sorted(mappings[given:], key=lambda m: m[1].rstrip("/") != runs_from)
        mappings[given:] = found
    match = settings.match
    if settings.map_matches:
        match += tuple(f"{remote.rstrip('/')}/*" for _, remote in user_mappings)
    env = env_to_dict(service.get("environment"))
    ports = 1
    per_slot: tuple[int, ...] = ()
    if settings.per_worker:
        ports = worker_count(env, cpus or os.cpu_count() or 1)
    elif settings.per_rank:
        ports = processes_per_host(hyperparameters or {}, gpus, distributed)
        chosen = slot_ranks(ports, host, ranks) if ports > 1 else None
        if chosen is not None:  # a host none of whose ranks is chosen keeps one port
            per_slot, ports = chosen, max(1, len(chosen))
    return Plan(
        match=tuple(dict.fromkeys(match)),
        mappings=tuple(mappings),
        volumes=tuple(volumes),
        env_defaults=dict(settings.env_defaults),
        wait=settings.wait if wait is None else wait,
        port_count=ports,
        defer={"match": list(settings.defer_match), "roots": _roots(mappings, settings.defer_roots)}
        if settings.defer_match and (mappings or settings.defer_roots)
        else None,
        slot_ranks=per_slot,
        stacks=settings.stacks,
    )

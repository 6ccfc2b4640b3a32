"""Pure transform of the docker-compose services SageMaker local mode generates.

Local mode writes one compose service per host (``algo-1-xxxxx``) with ``image``,
``volumes`` as ``host:container`` strings, ``environment`` as a list of ``K=V`` strings and
``command: train|serve`` (see ``_SageMakerContainer._create_docker_host``). This module
turns such a service into its debuggable twin -- a published debug port, the payload
mounts, the bootstrap's configuration and labels -- without any I/O, so every rule here is
unit-tested on dicts produced by the real SDK.

Rules that matter to users:

* a container's debug ports are published on an ephemeral port of ``127.0.0.1`` only, and
  its adapter lets in only the run's relay, which holds the endpoint users attach to
  (debugpy is remote code execution: see :mod:`smdebug_local.relay`);
* environment variables are merged *by key*: compose v1 rejects duplicate keys, and the
  SDK hides that error;
* the image's own ``PYTHONPATH`` is kept (compose ``environment`` would replace it).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .payload import (
    CONFIG_ENV,
    CONTAINER_BOOT_DIR,
    CONTAINER_BYTECODE_DIR,
    CONTAINER_DEBUGPY_DIR,
    CONTAINER_PYCHARM_DIR,
    CONTAINER_STATUS_DIR,
)

LABEL_RUN = "smdebug-local.run"
LABEL_ROLE = "smdebug-local.role"
LABEL_PORT = "smdebug-local.port"
# Which process on which machine owns a container: `clean` leaves live runs alone.
LABEL_PID = "smdebug-local.pid"
LABEL_HOST = "smdebug-local.host"
CONTAINER_DEBUG_PORT = 5678
# Where Docker publishes a container's debug ports: the host's loopback only (the relay,
# in the run's own process, is their one client).
PUBLISH_ADDRESS = "127.0.0.1"
# pydevd's container-side path translation: [[client (local) root, server (container) root]].
PYDEVD_PATHS_ENV = "PATHS_FROM_ECLIPSE_TO_PYTHON"

_HOST_SUFFIX = re.compile(r"^(algo-\d+)-[a-z0-9]{5}$")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class Mount:
    """The read-only mounts every debugged container gets, as host paths."""

    boot_dir: str
    debugpy_dir: str
    pycharm_dir: str | None = None  # the pydevd-pycharm tree (--ide pycharm)


@dataclass(frozen=True)
class DebugTarget:
    """What one container needs to be debugged: where to listen, publish and stop.

    ``host_ports`` has one entry per debuggable process the container may run at once
    (model-server workers each listen on their own port); container ports are
    ``CONTAINER_DEBUG_PORT`` upwards in the same order.
    """

    role: str
    service: str
    host_ports: tuple[int, ...]
    bind: str = "127.0.0.1"
    wait: bool = True
    match: tuple[str, ...] = ()
    mappings: tuple[tuple[str, str], ...] = ()
    volumes: tuple[str, ...] = ()
    env_defaults: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    # Connect-back mode: ``(host, port)`` of the IDE's listener, as seen from the container;
    # then nothing is published (``host_ports`` is empty).
    connect: tuple[str, int] | None = None
    # Host folder mounted writable where the container's debugged processes say they are
    # paused at a breakpoint (watch mode); None: not reported.
    status_dir: str | None = None
    # "debugpy", or "pydevd-pycharm" to connect to PyCharm's Debug Server (``connect``).
    debugger: str = "debugpy"
    # Start only when the user's code is imported, in processes that match (model-server
    # workers): {"match": [...], "roots": [...]}; see the bootstrap's StartOnImport.
    defer: Mapping | None = None
    # The user's folder of a bring-your-own program was found, not given (see .programs).
    auto_mapped: bool = False
    # Of a distributed job's ranks, only these are debugged (None: all).
    ranks: tuple[int, ...] | None = None
    # The rank each of ``host_ports`` is for (a distributed job's host), else ().
    slot_ranks: tuple[int, ...] = ()
    # The runtimes the payload names processes by (``runtimes.payload``).
    stacks: tuple[Mapping, ...] = ()
    # The SageMaker Pipelines step the container's job runs for (a local pipeline), or None;
    # known only on the host, so the bootstrap is told (it names the step in its lines).
    step: str | None = None
    # Who the container's debug adapter lets in ("secret:<hex>": the run's relay, see
    # smdebug_local.relay); None in connect-back mode, where nothing listens.
    door: str | None = None
    # Seconds a crashed process waits for an IDE to attach (None: it fails at once).
    post_mortem: float | None = None

    @property
    def host(self) -> str:
        """The host name without local mode's random suffix: ``algo-1-x7k2q`` -> ``algo-1``."""
        return short_host(self.service)

    @property
    def ports(self) -> list[tuple[int, str]]:
        """``(container_port, "bind:host_port")`` pairs, in the order processes take them."""
        return [
            (CONTAINER_DEBUG_PORT + i, f"{self.bind}:{hp}") for i, hp in enumerate(self.host_ports)
        ]

    @property
    def endpoints(self) -> list[str]:
        """Where a debugger on the host connects, one per port (none in connect mode): the
        run's relay (:mod:`smdebug_local.relay`), which forwards to the container's port."""
        return [endpoint for _, endpoint in self.ports]


def short_host(service: str) -> str:
    """``algo-1-x7k2q`` -> ``algo-1``; other names are returned unchanged."""
    m = _HOST_SUFFIX.match(service)
    return m.group(1) if m else service


def parse_volume(spec: str) -> tuple[str, str, str]:
    """Split a short-syntax volume into ``(host, container, mode)``.

    Handles Windows drive letters (``C:\\src:/opt/ml/code``) like the SDK does.
    """
    drive = ""
    if _WINDOWS_DRIVE.match(spec):
        drive, spec = spec[:2], spec[2:]
    parts = spec.split(":")
    host = drive + parts[0]
    container = parts[1] if len(parts) > 1 else parts[0]
    mode = ":".join(parts[2:])
    return host, container, mode


def code_mappings(service: Mapping, container_dir: str) -> list[tuple[str, str]]:
    """``(host_dir, container_dir)`` for each volume mounted exactly at ``container_dir``
    (spelled without a trailing slash: the SDK mounts a FrameworkProcessor's code at
    ``.../code/``, and the folder is one however spelled)."""
    folder = container_dir.rstrip("/") or "/"
    mappings = []
    for spec in service.get("volumes") or []:
        if isinstance(spec, str):
            host, container, _ = parse_volume(spec)
            if (container.rstrip("/") or "/") == folder:
                mappings.append((host, folder))
    return mappings


def published_port(service: Mapping, container_port: int) -> int | None:
    """The host port a service publishes ``container_port`` on (``"8080:8080"``,
    ``"127.0.0.1:8081:8080"``), or None."""
    for spec in service.get("ports") or []:
        parts = str(spec).split(":")
        if len(parts) >= 2 and parts[-1] == str(container_port) and parts[-2].isdigit():
            return int(parts[-2])
    return None


def env_to_dict(environment: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """Compose ``environment`` (list of ``K=V`` or mapping) as an ordered dict; last wins."""
    if environment is None:
        return {}
    if isinstance(environment, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    result: dict[str, str] = {}
    for item in environment:
        key, _, value = str(item).partition("=")
        result[key] = value
    return result


def merge_env(
    environment: Sequence[str] | Mapping[str, str] | None, updates: Mapping[str, str]
) -> list[str] | dict[str, str]:
    """Set ``updates`` by key, keeping the original form (list or mapping) and order."""
    merged = env_to_dict(environment)
    merged.update(updates)
    if isinstance(environment, Mapping):
        return merged
    return [f"{k}={v}" for k, v in merged.items()]


def _merge_labels(labels: Sequence[str] | Mapping[str, str] | None, updates: Mapping[str, str]):
    if isinstance(labels, Mapping) or labels is None:
        return {**(labels or {}), **updates}
    return [
        *(item for item in labels if item.partition("=")[0] not in updates),
        *(f"{k}={v}" for k, v in updates.items()),
    ]


def _escape(value: str) -> str:
    """Escape ``$`` so compose does not interpolate it (compose reads ``$$`` as ``$``)."""
    return value.replace("$", "$$")


def bootstrap_config(target: DebugTarget) -> dict:
    """The JSON the in-container bootstrap reads (see ``_smdebug_local_boot.parse_config``)."""
    return {
        "role": target.role,
        "host": target.host,
        "ports": [list(p) for p in target.ports],
        "wait": target.wait,
        "match": list(target.match),
        "mappings": [list(m) for m in target.mappings],
        "debugpy": CONTAINER_DEBUGPY_DIR,
        **({"connect": list(target.connect)} if target.connect else {}),
        **({"status": CONTAINER_STATUS_DIR} if target.status_dir else {}),
        **({"defer": dict(target.defer)} if target.defer else {}),
        **({"auto_mapped": True} if target.auto_mapped else {}),
        **({"ranks": list(target.ranks)} if target.ranks is not None else {}),
        **({"stacks": [dict(s) for s in target.stacks]} if target.stacks else {}),
        **({"step": target.step} if target.step else {}),
        **({"door": target.door} if target.door else {}),
        **({"post_mortem": target.post_mortem} if target.post_mortem else {}),
        **(
            {"debugger": target.debugger, "pydevd_pycharm": CONTAINER_PYCHARM_DIR}
            if target.debugger == "pydevd-pycharm"
            else {}
        ),
    }


def label_service(service: Mapping, role: str, labels: Mapping[str, str]) -> dict:
    """A copy of ``service`` that only carries our labels (so clean-up can find it)."""
    out = copy.deepcopy(dict(service))
    out["labels"] = _merge_labels(out.get("labels"), {**labels, LABEL_ROLE: role})
    return out


def transform_service(
    service: Mapping,
    target: DebugTarget,
    mount: Mount,
    image_env: Mapping[str, str] | None = None,
    bytecode_dir: str | None = None,
) -> dict:
    """Return a copy of ``service`` that runs ``target``'s debugger; ``service`` is untouched.

    ``image_env`` is the image's own environment (``docker image inspect``), used to keep its
    ``PYTHONPATH`` behind ours. ``bytecode_dir``: debugpy compiled by the image's Python
    (:mod:`smdebug_local.debuggers.bytecode`), when there is one yet.
    """
    out = copy.deepcopy(dict(service))
    volumes = list(out.get("volumes") or [])
    # On SELinux hosts the SDK relabels its mounts (":z"); ours need the same to be readable.
    selinux = any(isinstance(v, str) and v.endswith(":z") for v in volumes)
    mode = "ro,z" if selinux else "ro"
    volumes += [
        f"{mount.boot_dir}:{CONTAINER_BOOT_DIR}:{mode}",
        f"{mount.debugpy_dir}:{CONTAINER_DEBUGPY_DIR}:{mode}",
    ]
    volumes += [f"{v}:{mode}" for v in target.volumes]
    if bytecode_dir is not None and target.debugger == "debugpy":
        volumes.append(f"{bytecode_dir}:{CONTAINER_BYTECODE_DIR}:{mode}")
    if target.debugger == "pydevd-pycharm" and mount.pycharm_dir:
        volumes.append(f"{mount.pycharm_dir}:{CONTAINER_PYCHARM_DIR}:{mode}")
    if target.status_dir:
        volumes.append(f"{target.status_dir}:{CONTAINER_STATUS_DIR}" + (":z" if selinux else ""))
    out["volumes"] = volumes

    if target.ports:
        # Docker picks the host port (the relay asks it which); the endpoint users attach
        # to is the relay's.
        out["ports"] = [
            *(out.get("ports") or []),
            *(f"{PUBLISH_ADDRESS}::{port}" for port, _ in target.ports),
        ]
    if target.connect:
        # Linux engines resolve host.docker.internal only when told to (Docker >= 20.10).
        hosts = out.get("extra_hosts") or []
        name = target.connect[0]
        if isinstance(hosts, Mapping):  # a user's local.container_config may use this form
            out["extra_hosts"] = {name: "host-gateway", **hosts}
        elif not any(str(h).split(":")[0] == name for h in hosts):
            out["extra_hosts"] = [*hosts, f"{name}:host-gateway"]

    # Values already in the service are in compose syntax; ours are escaped for it.
    service_env = env_to_dict(out.get("environment"))
    inherited = service_env.get("PYTHONPATH") or _escape((image_env or {}).get("PYTHONPATH", ""))
    pythonpath = CONTAINER_BOOT_DIR + (":" + inherited if inherited else "")
    config = json.dumps(bootstrap_config(target), separators=(",", ":"))
    defaults = {k: v for k, v in target.env_defaults.items() if k not in service_env}
    ours = {**defaults, "PYTHONPATH": pythonpath, CONFIG_ENV: _escape(config)}
    if target.connect and target.debugger == "debugpy":
        # One IDE listener serves every container, whose code lives in different folders
        # (/opt/ml/code, /opt/ml/model/code, ...): each container translates paths itself
        # (pydevd reads this at import), so the IDE's configuration needs no pathMappings.
        ours[PYDEVD_PATHS_ENV] = _escape(json.dumps([list(m) for m in target.mappings]))
    out["environment"] = merge_env(out.get("environment"), ours)
    out["labels"] = _merge_labels(
        out.get("labels"),
        {
            **target.labels,
            LABEL_ROLE: target.role,
            LABEL_PORT: ",".join(str(p) for p in target.host_ports),
        },
    )
    return out

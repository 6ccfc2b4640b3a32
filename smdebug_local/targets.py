"""Pure target planning: one compose service of a role -> the :class:`DebugTarget` for it.

Everything the session decided beforehand (ports, labels, the status folder) comes in as
values; nothing here touches Docker, the disk or the network.
"""

from __future__ import annotations

from collections.abc import Mapping

from .compose import DebugTarget
from .options import HOST_FROM_CONTAINER, PYCHARM_PORT_OFFSETS, DebugOptions
from .roles import Plan


def connect_port(options: DebugOptions, role: str) -> int:
    """The IDE port a container of ``role`` connects to: one for every role, but one
    per role with PyCharm (each Debug Server configuration has its role's mapping)."""
    if options.ide == "pycharm":
        return options.port + PYCHARM_PORT_OFFSETS.get(role, 0)
    return options.port


def debug_target(
    role: str,
    service: str,
    plan: Plan,
    options: DebugOptions,
    *,
    host_ports: tuple[int, ...],
    labels: Mapping[str, str],
    status_dir: str | None,
    step: str | None = None,
    secret: str = "",
) -> DebugTarget:
    """The target for ``service``: listening on ``host_ports`` (listen mode) or connecting
    back to the IDE (connect mode, ``host_ports`` empty); ``step`` is the pipeline step its
    job runs for, if any; ``secret`` the run's, which its debug adapter asks of every
    client (listen mode)."""
    connect = options.mode == "connect"
    return DebugTarget(
        role=role,
        service=service,
        host_ports=() if connect else host_ports,
        bind=options.bind,
        wait=plan.wait,
        match=plan.match,
        mappings=plan.mappings,
        volumes=plan.volumes,
        env_defaults=plan.env_defaults,
        labels=labels,
        connect=(HOST_FROM_CONTAINER, connect_port(options, role)) if connect else None,
        status_dir=status_dir,
        debugger="pydevd-pycharm" if options.ide == "pycharm" else "debugpy",
        defer=plan.defer,
        ranks=options.ranks,
        slot_ranks=() if connect else plan.slot_ranks,
        stacks=plan.stacks,
        step=step,
        door=None if connect else f"secret:{secret}",
        post_mortem=options.post_mortem_seconds,
    )

"""What the payload makes of a real stack's process (the helper of the per-stack tests): the
host's plan for a container of a role, the configuration the container gets, and the
bootstrap's own recognition on the process's real command line -- everything but the process
itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smdebug_local import compose
from smdebug_local.options import DebugOptions
from smdebug_local.payload import _smdebug_local_boot as boot
from smdebug_local.payload import _smdebug_local_ranks as ranks
from smdebug_local.roles import ROLES, plan
from smdebug_local.targets import debug_target

SERVICE = {"volumes": ["/home/me/src:/opt/ml/code", "/tmp/model:/opt/ml/model"]}


@dataclass(frozen=True)
class Seen:
    """The payload's decision about one process."""

    debugged: bool
    deferred: bool  # the debugger starts on the first import of the user's code
    who: str  # who says its lines (with ``worker``: the port it took)


def sys_argv(command_line: list[str]) -> list[str]:
    """``sys.argv`` as sitecustomize sees it for ``command_line`` (a model of CPython's:
    the interpreter and its options dropped; ``['-m', ...]`` for a module, the module's
    name not yet there; ``['']`` for an embedded interpreter's empty command line)."""
    if not command_line:
        return [""]
    args = command_line[1:]
    for i, arg in enumerate(args):
        if arg == "-m":
            return ["-m", *args[i + 2 :]]
        if arg.startswith("-m"):
            return ["-m", *args[i + 1 :]]
        if not arg.startswith("-"):
            return args[i:]
    return [""]


def seen(
    role: str,
    command_line: list[str],
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str = "/",
    worker: int = 1,
    executable: str = "/usr/bin/python3.11",
    module_path: str | None = None,
) -> Seen:
    """The payload's decision for a process of a ``role`` container started with
    ``command_line`` (its ``/proc/self/cmdline``); ``module_path`` is the file ``python -m``
    would run (found on the container's disk in real life)."""
    options = DebugOptions()
    target = debug_target(
        role,
        "algo-1-ab1cd",
        plan(ROLES[role], SERVICE, wait=None, cpus=2),
        options,
        host_ports=(5678, 5679),
        labels={},
        status_dir=None,
    )
    config = compose.bootstrap_config(target)
    original = boot._module_path
    boot._module_path = lambda module, cwd: module_path  # type: ignore[assignment]
    try:
        path = boot.recognise(
            config,
            sys_argv(command_line),
            cwd,
            dict(environ or {}),
            command_line=lambda: command_line,
            executable=lambda: executable,
        )
    finally:
        boot._module_path = original  # type: ignore[assignment]
    if path is None:
        return Seen(False, False, "")
    config["worker"] = worker
    defer = config.get("defer") or {}
    return Seen(
        True, boot.matches(path, defer.get("match") or []), ranks.where(config, environ or {})
    )

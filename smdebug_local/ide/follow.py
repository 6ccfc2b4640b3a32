"""``run --ide vscode``: .vscode/launch.json and tasks.json that follow the run's real
ports and folders (VS Code reloads them as they change)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..compose import DebugTarget
from ..errors import SmdebugError
from ..options import DebugOptions
from . import vscode


def sync_vscode(
    targets: list[DebugTarget],
    workspace: Path,
    script: str,
    options: DebugOptions,
    bridge_gateway: Callable[[], str | None],
    note: Callable[[str], None],
    driver_port: int | None = None,
) -> None:
    """Rewrite the workspace's smdebug-local entries for ``targets`` (and the driver
    process, ``--debug-driver``, listening on ``driver_port``); problems are noted."""
    connect = options.mode == "connect"
    try:
        layout = vscode.run_layout(
            targets,
            workspace,
            script,
            options.port,
            options.port_explicit,
            connect,
            listen_host=(bridge_gateway() or "172.17.0.1") if connect else "",
            driver_port=driver_port,
        )
        if layout is None:
            return
        written = vscode.init(workspace, layout)
    except (SmdebugError, OSError) as err:
        note(f"--ide vscode: {err}")
        return
    names = " and ".join(str(p.relative_to(workspace)) for p in written)
    note(
        f'wrote {names} for this run: attach with the "smdebug-local: ..." configurations '
        "(they follow the run's ports)"
    )

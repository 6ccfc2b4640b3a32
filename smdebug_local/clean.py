"""``smdebug-local clean``: remove what earlier runs left behind, and nothing else.

Only containers carrying ``smdebug-local.run`` are considered, and of those only the ones
whose owning process (``smdebug-local.pid`` on ``smdebug-local.host``) is gone: a run still
going on in another terminal or notebook keeps its containers. A run that ends normally
removes its own containers; leftovers come from killed drivers (``kill -9``, a crashed
kernel) or a Docker restart in the middle of a run. The next run in the same workspace
removes a killed run's leftovers by itself (:func:`earlier_runs`, from its state file).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from . import messages, state
from .compose import LABEL_HOST, LABEL_PID, LABEL_RUN
from .engine import Engine
from .state import pid_alive


def is_leftover(labels: dict[str, str], hostname: str, alive=pid_alive) -> bool:
    """True if a container with these labels belongs to a run that no longer exists."""
    if LABEL_RUN not in labels:
        return False
    pid = labels.get(LABEL_PID, "")
    if labels.get(LABEL_HOST) not in (None, hostname):
        return False  # another machine's run (a shared engine): not ours to judge
    return not (pid.isdigit() and alive(int(pid)))


def leftovers(engine: Engine) -> list:
    """Containers of runs that are gone."""
    hostname = socket.gethostname()
    return [c for c in engine.containers(LABEL_RUN) if is_leftover(c.labels, hostname)]


def clean(engine: Engine, dry_run: bool = False) -> list[str]:
    """Remove (or with ``dry_run`` only list) leftover containers; returns their names."""
    found = leftovers(engine)
    if not dry_run:
        engine.remove_containers(found)
    return [c.name for c in found]


def earlier_runs(engine: Engine, workspace: Path, say: Callable[[str], None]) -> None:
    """Before a run starts in ``workspace``: remove what earlier runs there left when their
    process was killed (``kill -9``, a crashed kernel) -- their containers, which hold
    debug ports and data mounts, and their state files -- and say so."""
    for path, doc in state.runs(workspace):
        if not state.is_stale(doc):
            continue
        removed = engine.remove_containers(engine.containers(LABEL_RUN, str(doc.get("run"))))
        path.unlink(missing_ok=True)
        if removed:
            say(
                messages.EARLIER_RUN_REMOVED.text(
                    count=removed, pid=doc.get("pid"), script=doc.get("script") or "?"
                )
            )

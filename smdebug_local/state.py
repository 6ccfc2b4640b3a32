"""The run's state file: what can be debugged right now, for tools and for ``status``.

While a run is active, ``<workspace>/.smdebug-local/state.json`` lists every debug target
(role, host, container, where to attach, path mappings). It is rewritten atomically each
time local mode starts a container, and removed when the run ends -- so an IDE extension
or script can read it at any moment. Live container status is not stored (it would be
stale); ``smdebug-local status`` asks Docker for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from . import messages
from .compose import DebugTarget, env_to_dict
from .errors import SmdebugError
from .files import write_atomic

STATE_DIR = ".smdebug-local"
STATE_FILE = "state.json"
VERSION = 1


def state_path(workspace: Path) -> Path:
    return workspace / STATE_DIR / STATE_FILE


def target_entry(target: DebugTarget, service: Mapping) -> dict:
    """One target as the state file lists it."""
    env = env_to_dict(service.get("environment"))
    return {
        "role": target.role,
        "host": target.host,
        "service": target.service,
        "container": service.get("container_name"),
        "job": env.get("TRAINING_JOB_NAME") or env.get("PROCESSING_JOB_NAME") or None,
        # The SageMaker Pipelines step the job runs for (a local pipeline), else None.
        "step": target.step,
        "endpoints": target.endpoints,
        # A distributed job's host: the rank each endpoint is for (the same order).
        **({"ranks": list(target.slot_ranks)} if target.slot_ranks else {}),
        "connect": ":".join(map(str, target.connect)) if target.connect else None,
        "wait": target.wait,
        "pathMappings": [
            {"localRoot": local, "remoteRoot": remote} for local, remote in target.mappings
        ],
    }


def driver_entry(endpoint: str, wait: bool, pid: int) -> dict:
    """The driver process (``--debug-driver``) as the state file lists it: no container,
    no path mapping (its code is on this machine)."""
    return {
        "role": "driver",
        "host": "localhost",
        "service": f"driver-{pid}",
        "container": None,
        "job": None,
        "step": None,
        "endpoints": [endpoint],
        "connect": None,
        "wait": wait,
        "pathMappings": [],
    }


def live_status(target: Mapping, live: Mapping[str, str], alive: bool = True) -> str:
    """A target's status now: its container's (``live`` by service name), or for the
    driver whether the run's process is alive."""
    if target.get("role") == "driver":
        return "running" if alive else "gone"
    return live.get(target.get("service", ""), "gone")


def document(run_id: str, pid: int, script: str, targets: Iterable[dict]) -> dict:
    return {
        "version": VERSION,
        "run": run_id,
        "pid": pid,
        "script": script,
        "targets": list(targets),
    }


def write(workspace: Path, doc: dict) -> Path:
    path = state_path(workspace)
    write_atomic(path, json.dumps(doc, indent=2) + "\n")
    ignore = path.parent / ".gitignore"
    if not ignore.exists():  # run state, never something to commit
        write_atomic(ignore, "*\n")
    return path


def read(workspace: Path) -> dict | None:
    """The state document, or None when no run has written one here."""
    path = state_path(workspace)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise messages.STATE_UNREADABLE.error(path=path, reason=err) from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise messages.STATE_VERSION.error(path=path)
    return doc


def remove(workspace: Path, run_id: str) -> None:
    """Remove the state file if it is this run's (another run may have taken over)."""
    try:
        doc = read(workspace)
    except SmdebugError:
        return
    if doc is not None and doc.get("run") == run_id:
        state_path(workspace).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """True if process ``pid`` exists on this machine (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def rows(doc: Mapping, live: Mapping[str, str]) -> list[list[str]]:
    """Table rows for ``status``: ``live`` maps compose service names to Docker's status.

    A run of a local pipeline has a STEP column (which step each container is for); other
    runs' tables are as they always were.
    """
    targets = doc.get("targets") or []
    steps = any(t.get("step") for t in targets)
    out = [["ROLE", "HOST", *(["STEP"] if steps else []), "JOB", "ATTACH", "MAPPING", "STATUS"]]
    for t in targets:
        mappings = t.get("pathMappings") or []
        mapping = f"{mappings[0]['localRoot']} -> {mappings[0]['remoteRoot']}" if mappings else ""
        attach = ", ".join(t["endpoints"]) if t["endpoints"] else f"connects to {t.get('connect')}"
        ranks = t.get("ranks") or []
        # A distributed job's host: a row per rank, each with its own endpoint.
        per_rank = (
            [(f"{t['host']} rank {r}", e) for r, e in zip(ranks, t["endpoints"])]
            if len(ranks) == len(t["endpoints"])
            else [(t["host"], attach)]
        )
        for host, endpoint in per_rank:
            job = t.get("job") or t.get("container") or t["service"]
            step = [t.get("step") or ""] if steps else []
            out.append([t["role"], host, *step, job, endpoint, mapping, live_status(t, live)])
    return out


def table(rows_: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows_) for i in range(len(rows_[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows_)


class RunState:
    """This run's entry in the workspace's state file, kept in step with its targets.

    A read-only workspace only loses the file (``note`` says so once): debugging goes on.
    """

    def __init__(self, workspace: Path, run_id: str, note: Callable[[str], None]) -> None:
        self.workspace = workspace
        self._run_id = run_id
        self._note = note
        self._entries: list[dict] = []

    def add(self, target: DebugTarget, service: Mapping) -> None:
        self._entries.append(target_entry(target, service))

    def add_entry(self, entry: dict) -> None:
        self._entries.append(entry)

    @property
    def driver_port(self) -> int | None:
        """The port the driver process listens on (``--debug-driver``), or None."""
        for entry in self._entries:
            if entry.get("role") == "driver" and entry.get("endpoints"):
                return int(entry["endpoints"][0].rsplit(":", 1)[1])
        return None

    def drop(self, services: set[str]) -> None:
        self._entries = [e for e in self._entries if e.get("service") not in services]

    def save(self, script: str) -> None:
        if not self._entries:
            return
        try:
            write(self.workspace, document(self._run_id, os.getpid(), script, self._entries))
        except OSError as err:
            self._note(
                f"cannot write {state_path(self.workspace)} ({err.strerror}); "
                "`smdebug-local status` will not see this run"
            )

    def close(self) -> None:
        if self._entries:
            remove(self.workspace, self._run_id)

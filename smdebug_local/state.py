"""The run's state file: what can be debugged right now, for tools and for ``status``.

While a run is active, ``<workspace>/.smdebug-local/state.json`` lists every debug target
(role, host, container, where to attach, path mappings). It is rewritten atomically each
time local mode starts a container, and removed when the run ends -- so an IDE extension
or script can read it at any moment. Live container status is not stored (it would be
stale); ``smdebug-local status`` asks Docker for it.

A run started while another run of this machine goes on in the same workspace writes
``state-<run>.json`` beside it instead (and says so): each file stays one run's. A file
whose run's process is gone (the driver was killed) is stale: the next run removes it and
the containers it names. Only files owned by this user are read: a shared workspace may
hold other users' runs, which are theirs to attach to.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from . import messages
from .compose import DebugTarget, env_to_dict
from .errors import SmdebugError
from .files import locked, write_atomic

STATE_DIR = ".smdebug-local"
STATE_FILE = "state.json"
# A run that started while another run went on in the same workspace.
RUN_STATE_FILE = "state-{run}.json"
LOCK_FILE = ".lock"
VERSION = 1


def state_path(workspace: Path) -> Path:
    return workspace / STATE_DIR / STATE_FILE


def run_state_path(workspace: Path, run_id: str) -> Path:
    return workspace / STATE_DIR / RUN_STATE_FILE.format(run=run_id)


def owned(path: Path) -> bool:
    """True if this user owns ``path`` (where the system says who owns files)."""
    getuid = getattr(os, "getuid", None)
    try:
        return getuid is None or path.stat().st_uid == getuid()
    except OSError:
        return False


def state_files(workspace: Path) -> list[Path]:
    """This user's state files in ``workspace``: ``state.json`` first, then the runs that
    started beside it (by name, as the VS Code extension lists them)."""
    others = sorted((workspace / STATE_DIR).glob(RUN_STATE_FILE.format(run="*")))
    return [p for p in [state_path(workspace), *others] if p.is_file() and owned(p)]


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
        # Which debugger the container runs: a connect-back target of `--ide pycharm`
        # connects to PyCharm's Debug Server, never to a debugpy listener (the extension's).
        "debugger": target.debugger,
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


def document(
    run_id: str, pid: int, script: str, targets: Iterable[dict], host: str | None = None
) -> dict:
    return {
        "version": VERSION,
        "run": run_id,
        "pid": pid,
        # The machine the run's process is on (a workspace may be shared between machines).
        "host": host or socket.gethostname(),
        "script": script,
        "targets": list(targets),
    }


def write(workspace: Path, doc: dict, path: Path | None = None) -> Path:
    path = path or state_path(workspace)
    write_atomic(path, json.dumps(doc, indent=2) + "\n")
    ignore = path.parent / ".gitignore"
    if not ignore.exists():  # run state, never something to commit
        write_atomic(ignore, "*\n")
    return path


def read(workspace: Path, path: Path | None = None) -> dict | None:
    """The state document (``state.json``, or ``path``), or None when there is none."""
    path = path or state_path(workspace)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise messages.STATE_UNREADABLE.error(path=path, reason=err) from None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise messages.STATE_VERSION.error(path=path)
    return doc


def remove(workspace: Path, run_id: str, path: Path | None = None) -> None:
    """Remove the state file if it is this run's (another run may have taken over)."""
    path = path or state_path(workspace)
    try:
        doc = read(workspace, path)
    except SmdebugError:
        return
    if doc is not None and doc.get("run") == run_id:
        path.unlink(missing_ok=True)


def is_stale(doc: Mapping, alive: Callable[[int], bool] | None = None) -> bool:
    """True if the run of ``doc`` is gone: its process, on this machine, no longer exists
    (a run of another machine is never judged from here)."""
    if doc.get("host") not in (None, socket.gethostname()):
        return False
    pid = doc.get("pid")
    return not (isinstance(pid, int) and (alive or pid_alive)(pid))


def runs(workspace: Path) -> list[tuple[Path, dict]]:
    """Every readable state file of this user's here, with its document."""
    found = []
    for path in state_files(workspace):
        try:
            doc = read(workspace, path)
        except SmdebugError:
            continue
        if doc is not None:
            found.append((path, doc))
    return found


def claim(workspace: Path, doc: dict) -> tuple[Path, dict | None]:
    """Write a run's first ``doc`` and return the file it went to: ``state.json``, unless
    another live run holds it (then ``state-<run>.json``, and that run's document is
    returned too) or another user does (their file is never replaced). Decided and written
    under a lock on the state folder, so two runs starting at once cannot both take
    ``state.json``."""
    folder = workspace / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    primary = state_path(workspace)
    with locked(folder / LOCK_FILE):
        other = None
        if primary.exists() and owned(primary):
            try:
                other = read(workspace)
            except SmdebugError:
                other = None  # unreadable: replaced
        if other is not None and (other.get("run") == doc["run"] or is_stale(other)):
            other = None
        mine = not primary.exists() or owned(primary)
        path = primary if mine and other is None else run_state_path(workspace, doc["run"])
        write(workspace, doc, path)
        return path, other


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
    """This run's state file, kept in step with its targets.

    A read-only or full workspace only loses the file (``note`` says so once): debugging
    goes on. A run beside another one in the workspace gets a file of its own
    (:func:`claim`), and ``note`` says where.
    """

    def __init__(self, workspace: Path, run_id: str, note: Callable[[str], None]) -> None:
        self.workspace = workspace
        self._run_id = run_id
        self._note = note
        self._entries: list[dict] = []
        self.path: Path | None = None  # claimed at the first save

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
        doc = document(self._run_id, os.getpid(), script, self._entries)
        try:
            if self.path is None:
                self.path, other = claim(self.workspace, doc)
                if other is not None:
                    self._note(
                        messages.ANOTHER_RUN.text(
                            pid=other.get("pid"), script=other.get("script"), path=self.path
                        )
                    )
            else:
                write(self.workspace, doc, self.path)
        except OSError as err:
            where = self.path or state_path(self.workspace)
            self._note(messages.STATE_NOT_WRITTEN.text(path=where, reason=err.strerror or err))

    def close(self) -> None:
        if self.path is not None:
            remove(self.workspace, self._run_id, self.path)

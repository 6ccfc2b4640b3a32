"""What "apply a source change" means for a training or processing job and for an endpoint.

A :class:`Job` reruns the SDK's own training or processing call with the inputs,
arguments and image it was first given, under a new job name and with its own output
location (local mode would overwrite a ``file://`` output, a ModelTrainer's container
root or a processing job's given output in place). An
:class:`Endpoint` restarts its model-server workers, which import the live source mounted
over the model's code copy; a server without that API (or Multi Model Server, which cannot
start workers scaled to zero again) gets its container restarted.
Both keep the containers of their current run, so that :mod:`smdebug_local.watch.watcher` can
tell whether a debugger is paused in them and cancel a run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..compose import DebugTarget
from . import hot, model_server
from .filters import Source

# A "paused" report not refreshed for this long is a process that died paused.
PAUSE_REPORT_STALE = 5.0


def paused(targets: list[DebugTarget], now: Callable[[], float] = time.time) -> bool:
    """True if a debugged process of ``targets`` reports being paused at a breakpoint."""
    for target in targets:
        if not target.status_dir:
            continue
        try:
            entries = list(os.scandir(target.status_dir))
        except OSError:
            continue
        for entry in entries:
            try:
                if now() - entry.stat().st_mtime < PAUSE_REPORT_STALE:
                    return True
            except OSError:
                continue
    return False


@dataclass
class Runs:
    """The containers a job's current run started, and how the session lets them go."""

    targets: list[DebugTarget] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    def add(self, target: DebugTarget, container: str) -> None:
        self.targets.append(target)
        self.containers.append(container)

    def clear(self) -> tuple[list[DebugTarget], list[str]]:
        out = (self.targets, self.containers)
        self.targets, self.containers = [], []
        return out


@dataclass
class Job:
    """A training or processing job that reruns when its source changes.

    ``rerun(attempt)`` runs the SDK's call again (blocking) and returns where its
    ``outputs`` went; ``retire(targets, containers)`` lets the session free the previous
    run's ports and remove its containers; ``remove(containers)`` cancels a run.
    """

    kind: str  # "training", "processing"
    name: str
    source: Source
    rerun: Callable[[int], object]
    retire: Callable[[list[DebugTarget], list[str]], None]
    remove: Callable[[list[str]], object]
    say: Callable[[str], None]
    outputs: str = "artifacts"
    runs: Runs = field(default_factory=Runs)
    attempt: int = 0
    original_running: bool = True
    _cancelled: threading.Event = field(default_factory=threading.Event)

    @property
    def label(self) -> str:
        return f"{self.kind} job {self.name}"

    def busy(self) -> bool:
        return self.original_running

    def paused(self) -> bool:
        return paused(self.runs.targets)

    def apply_in_place(self, files: list[str]) -> bool:
        return False  # a job's script runs once: an edit reruns it

    def cancel(self) -> None:
        self._cancelled.set()
        self.remove(list(self.runs.containers))

    def apply(self, files: list[str]) -> None:
        self.attempt += 1
        self._cancelled.clear()
        self.retire(*self.runs.clear())
        names = ", ".join(os.path.basename(f) for f in files[:3])
        self.say(f"{names} changed: rerunning {self.label} (rerun {self.attempt})")
        started = time.monotonic()
        try:
            artifacts = self.rerun(self.attempt)
        except BaseException as exc:
            if self._cancelled.is_set():
                self.say(f"rerun {self.attempt} of {self.label} cancelled")
            else:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.say(
                    f"rerun {self.attempt} of {self.label} failed after "
                    f"{time.monotonic() - started:.1f}s: {first}; fix the code and save "
                    "again"
                )
            return
        self.say(
            f"rerun {self.attempt} of {self.label} finished in "
            f"{time.monotonic() - started:.1f}s; {self.outputs}: {artifacts}"
        )


@dataclass
class Endpoint:
    """A local endpoint that takes edits of its source: function bodies inside its running
    workers (see :mod:`.hot`), anything else by reloading its model-server workers.

    ``hot_apply(container, changes)`` runs the payload's applier in the container;
    ``snapshot`` holds the source as the workers last loaded it.
    """

    container: str
    source: Source
    base_url: str  # where the inference (and TorchServe management) API answers
    restart: Callable[[str], None]
    say: Callable[[str], None]
    hot_apply: Callable[[str, list[dict]], list[dict]] | None = None
    snapshot: hot.Snapshot | None = None
    runs: Runs = field(default_factory=Runs)

    @property
    def label(self) -> str:
        return f"endpoint {self.container}"

    def busy(self) -> bool:
        return False

    def paused(self) -> bool:
        return paused(self.runs.targets)

    def cancel(self) -> None:
        """A reload takes a second or two and is not interrupted."""

    def apply_in_place(self, files: list[str]) -> bool:
        decision = self._decide(files)
        return decision.reload is None and self._in_place(files, decision) is None

    def apply(self, files: list[str]) -> None:
        decision = self._decide(files)
        why = decision.reload or self._in_place(files, decision)
        if why is None:
            return
        names = ", ".join(os.path.basename(f) for f in files[:3])
        started = time.monotonic()
        try:
            workers = model_server.reload_workers(self.base_url)
            how = f"model-server workers reloaded ({workers} started)"
        except model_server.ReloadUnsupported as unsupported:
            self.restart(self.container)
            how = f"container restarted ({unsupported})"
        except OSError as exc:
            self.say(
                f"{names} changed: reloading {self.label} failed ({exc}); restarting its container"
            )
            self.restart(self.container)
            how = "container restarted"
        if self.snapshot is not None:
            self.snapshot.update(files, decision.texts)
        self.say(
            f"{names} changed ({why}): {self.label}: {how} in "
            f"{time.monotonic() - started:.1f}s{self._ports()}"
        )

    def _decide(self, files: list[str]) -> hot.Decision:
        if self.snapshot is None or self.hot_apply is None:
            return hot.Decision(reload="edits are applied in place only in debugged workers")
        return hot.decide(files, self.snapshot, _read_text)

    def _in_place(self, files: list[str], decision: hot.Decision) -> str | None:
        """Put the decided functions into the running workers; None if done, else why not
        (then the workers reload)."""
        assert self.hot_apply is not None and self.snapshot is not None
        names = ", ".join(os.path.basename(f) for f in files[:3])
        started = time.monotonic()
        if decision.changes:
            mappings = [m for t in self.runs.targets for m in t.mappings]
            try:
                answers = self.hot_apply(self.container, hot.request(decision.changes, mappings))
            except (OSError, ValueError) as exc:
                return str(exc)
            result = hot.outcome(answers)
            if result.problem:
                return result.problem
            what = (
                f"{', '.join(result.applied)} applied in {result.processes} running "
                "process(es) (no restart, the loaded model kept)"
                if result.processes
                else "no running process has loaded it yet (it runs the saved code when it does)"
            )
        else:
            what = "nothing it runs changed"
        self.snapshot.update(files, decision.texts)
        self.say(
            f"{names} changed: {self.label}: {what} in {time.monotonic() - started:.2f}s"
            f"{self._ports()}"
        )
        return None

    def _ports(self) -> str:
        ports = ", ".join(e for t in self.runs.targets for e in t.endpoints)
        return f"; debug ports {ports}" if ports else ""


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()

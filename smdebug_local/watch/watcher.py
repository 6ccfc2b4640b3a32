"""Watch mode's moving parts: file events in, one action per affected job out.

:class:`FileWatcher` turns watchdog's events into batches of files whose content changed
(rules in :mod:`smdebug_local.watch.filters`). :class:`Follower` owns one job's reaction to
them: never two runs of a job at once, never a restart under a paused debugger, one line
per decision. What an action *is* -- rerun a training job, reload an endpoint -- belongs
to the job (:mod:`smdebug_local.watch.jobs`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .content import ContentIndex, files, ignore_rules
from .filters import (
    CAP_SECONDS,
    IGNORE_FILES,
    QUIET_SECONDS,
    Debouncer,
    IgnoreRules,
    Source,
    affected,
)

# Events that never mean new content (watchdog reports reads on Linux).
_NOT_WRITES = {"opened", "closed_no_write"}
POLL_SECONDS = 0.25


class FileWatcher(FileSystemEventHandler):
    """Reports batches of changed files under the folders it watches."""

    def __init__(
        self,
        on_change: Callable[[list[str]], None],
        *,
        quiet: float = QUIET_SECONDS,
        cap: float = CAP_SECONDS,
    ) -> None:
        self._on_change = on_change
        self._debouncer = Debouncer(quiet, cap)
        self._index = ContentIndex()
        self._rules: dict[str, IgnoreRules] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self._observer = Observer()
        self._observer.daemon = True
        self._thread = threading.Thread(
            target=self._flush_loop, name="smdebug-local-watch", daemon=True
        )

    def start(self) -> None:
        self._observer.start()
        self._thread.start()

    def watch(self, directory: str) -> bool:
        """Start watching ``directory`` (recursively); False if it already was."""
        root = os.path.realpath(directory)
        if any(os.path.commonpath([root, r]) == r for r in self._rules):
            return False
        rules = ignore_rules(root)
        self._index.baseline(files(rules))
        with self._cond:
            self._rules[root] = rules
        self._observer.schedule(self, root, recursive=True)
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(5)

    # -- watchdog's thread -------------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _NOT_WRITES or (
            event.is_directory and event.event_type == "modified"
        ):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        now = time.monotonic()
        with self._cond:
            for raw in paths:
                path = os.fsdecode(raw) if raw else ""
                if path and not self._ignored(path):
                    self._debouncer.add(path, now)
            self._cond.notify_all()

    def _ignored(self, path: str) -> bool:
        for root, rules in self._rules.items():
            if os.path.commonpath([path, root]) == root:
                return rules.ignored(path)
        return True

    # -- our thread --------------------------------------------------------------------

    def _flush_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    due = self._debouncer.deadline()
                    now = time.monotonic()
                    if due is not None and now >= due:
                        break
                    self._cond.wait(None if due is None else due - now)
                if self._stopped:
                    return
                paths = self._debouncer.take(time.monotonic())
                for root in list(self._rules):
                    if any(os.path.join(root, name) in paths for name in IGNORE_FILES):
                        self._rules[root] = ignore_rules(root)  # edited: applies from now on
            changed = self._index.changed(paths)
            if changed:
                self._on_change(changed)


class Job(Protocol):
    """A training or processing job, or an endpoint, that follows its source folder."""

    source: Source

    @property
    def label(self) -> str:
        """How lines name the job: "training job NAME", "endpoint NAME"."""

    def busy(self) -> bool:
        """True while a run this job cannot cancel is going on (the script's own fit())."""

    def paused(self) -> bool:
        """True while a debugger holds one of the job's processes at a breakpoint."""

    def apply_in_place(self, files: list[str]) -> bool:
        """Apply the change inside the running processes if it can be, even under a paused
        debugger (no process is stopped); True if done."""

    def apply(self, files: list[str]) -> None:
        """Make the job run the changed code (rerun, reload); says what it did."""

    def cancel(self) -> None:
        """Stop the job's current run so that :meth:`apply` returns soon."""


class Follower:
    """Applies changes to one job, one run at a time, never under a paused debugger.

    ``policy`` for a change while the job's previous rerun is still going on: "cancel"
    stops that run and starts a new one, "queue" lets it finish first. The script's own run
    is never cancelled (the script is waiting for its result): changes wait for it.
    """

    def __init__(
        self,
        job: Job,
        say: Callable[[str], None],
        *,
        policy: str = "cancel",
        interrupt_paused: bool = False,
        rel: Callable[[str], str] = os.path.basename,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.job = job
        self._say = say
        self._policy = policy
        self._interrupt_paused = interrupt_paused
        self._rel = rel
        self._poll = poll
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._said: set[str] = set()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._run: threading.Thread | None = None
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"smdebug-local-follow {job.label}"
        )

    def start(self) -> Follower:
        self._thread.start()
        return self

    def changed(self, files: Sequence[str]) -> None:
        with self._lock:
            self._pending += [f for f in files if f not in self._pending]
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop following; a run in progress is cancelled and awaited."""
        self._stopped.set()
        self._wake.set()
        self._cancel_run(timeout)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _running(self) -> bool:
        return self._run is not None and self._run.is_alive()

    def _cancel_run(self, timeout: float | None = None) -> None:
        """Cancel the run in progress and wait for it to end. Cancelling again while it
        lasts also catches containers that did not exist yet at the first attempt (the
        SDK may still have been copying data)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        run = self._run
        while run is not None and run.is_alive() and run is not threading.current_thread():
            if deadline is not None and time.monotonic() >= deadline:
                return
            self.job.cancel()
            run.join(0.5)

    def _once(self, key: str, message: str) -> None:
        if key not in self._said:
            self._said.add(key)
            self._say(message)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            self.step()

    def step(self) -> bool:
        """Decide once what to do with pending changes; True if a run was started."""
        with self._lock:
            files = list(self._pending)
        if not files or self._stopped.is_set():
            return False
        what = ", ".join(self._rel(f) for f in files[:3]) + (
            f" and {len(files) - 3} more" if len(files) > 3 else ""
        )
        if self.job.paused() and not self._interrupt_paused:
            if self.job.apply_in_place(files):
                with self._lock:
                    self._pending = [f for f in self._pending if f not in files]
                self._said.clear()
                return False
            self._once(
                "paused",
                f"{what} changed: {self.job.label} is paused at a breakpoint; "
                "the change applies when you continue (run with --interrupt-paused to "
                "apply changes at once)",
            )
            return False
        if self.job.busy() or (self._running() and self._policy == "queue"):
            self._once(
                "queued", f"{what} changed: applies when the current run of {self.job.label} ends"
            )
            return False
        if self._running():
            self._say(f"{what} changed: cancelling the current run of {self.job.label}")
            self._cancel_run()
        with self._lock:
            files = list(self._pending)
            self._pending.clear()
        self._said.clear()
        self._run = threading.Thread(
            target=self.job.apply,
            args=(files,),
            daemon=True,
            name=f"smdebug-local-apply {self.job.label}",
        )
        self._run.start()
        return True


class Watch:
    """Every job of a run that follows its sources, and the one file watcher they share."""

    def __init__(
        self,
        say: Callable[[str], None],
        *,
        policy: str = "cancel",
        interrupt_paused: bool = False,
        quiet: float = QUIET_SECONDS,
        cap: float = CAP_SECONDS,
    ) -> None:
        self._say = say
        self._policy = policy
        self._interrupt_paused = interrupt_paused
        self._files = FileWatcher(self._on_change, quiet=quiet, cap=cap)
        self._started = False
        self._lock = threading.Lock()
        self._followers: list[Follower] = []

    def add(self, job: Job) -> None:
        """Follow ``job``'s source folder from now on."""
        directory = job.source.directory
        follower = Follower(
            job,
            self._say,
            policy=self._policy,
            interrupt_paused=self._interrupt_paused,
            rel=lambda path: os.path.relpath(path, directory),
        )
        with self._lock:
            if not self._started:
                self._files.start()
                self._started = True
            self._followers.append(follower.start())
        self._files.watch(directory)
        self._say(f"watching {directory} for {job.label}")

    def forget(self, job: Job) -> None:
        """Stop following ``job`` (its endpoint was deleted)."""
        with self._lock:
            gone = [f for f in self._followers if f.job is job]
            self._followers = [f for f in self._followers if f.job is not job]
        for follower in gone:
            follower.stop()

    def jobs(self) -> list[Job]:
        with self._lock:
            return [f.job for f in self._followers]

    def _on_change(self, files: list[str]) -> None:
        with self._lock:
            followers = list(self._followers)
        sources = [f.job.source for f in followers]
        for follower in followers:
            hits = affected(files, follower.job.source, sources)
            if hits:
                follower.changed(hits)

    def stop(self) -> None:
        """Stop watching; cancel and await runs in progress."""
        with self._lock:
            followers, self._followers = self._followers, []
        if self._started:
            self._files.stop()
        for follower in followers:
            follower.stop()

"""Watch mode's side of a run: which job each new container belongs to, and following it.

The session hands every debug target it creates to :meth:`WatchMode.follow`: a training or
processing container started by the script's ``fit()``, ``ModelTrainer.train()`` or
processor ``run()`` (or by a rerun) counts to its :class:`~.jobs.Job`; an endpoint with
live source becomes an :class:`~.jobs.Endpoint`.
Containers report a paused debugger in per-service status folders created here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..compose import DebugTarget, env_to_dict, published_port
from ..options import DebugOptions
from ..roles import ROLES
from ..sdk import JobRequest
from .content import files, ignore_rules
from .filters import Source
from .hot import Snapshot
from .jobs import Endpoint, Job
from .watcher import Watch


class WatchMode:
    """The jobs a run follows. ``retire(targets, containers)`` frees a finished run's
    ports and containers; ``remove``/``restart`` act on containers by name."""

    def __init__(
        self,
        options: DebugOptions,
        *,
        say: Callable[[str], None],
        note: Callable[[str], None],
        retire: Callable[[list[DebugTarget], list[str]], None],
        remove: Callable[[list[str]], object],
        restart: Callable[[str], None],
        hot_apply: Callable[[str, list[dict]], list[dict]] | None = None,
    ) -> None:
        self._say = say
        self._note = note  # said once per run
        self._retire = retire
        self._remove = remove
        self._restart = restart
        self._hot_apply = hot_apply
        self._watch = Watch(
            say, policy=options.on_change, interrupt_paused=options.interrupt_paused
        )
        self._current = threading.local()
        self._status_root: str | None = tempfile.mkdtemp(prefix="smdebug-local-status-")

    def status_dir(self, service: str) -> str:
        """A fresh folder the service's processes report a paused debugger in."""
        assert self._status_root is not None, "watch mode already closed"
        path = os.path.join(self._status_root, service)
        os.makedirs(path, exist_ok=True)
        return path

    @contextmanager
    def job_run(self, request: JobRequest) -> Iterator[None]:
        """The script's training or processing call: its job follows its source folder."""
        job = None
        if request.source_dir is None or request.rerun is None:
            self._note(
                f"--watch: {request.kind} job {request.name} {request.elsewhere}; "
                "it is not rerun on changes"
            )
        else:
            rerun = request.rerun
            job = Job(
                kind=request.kind,
                name=request.name,
                source=Source(
                    request.kind,
                    request.source_dir,
                    request.entry_point,
                    entry_only=request.entry_only,
                ),
                rerun=lambda attempt: self._collecting(job, rerun, attempt),
                retire=self._retire,
                remove=self._remove,
                say=self._say,
                outputs=request.outputs,
            )
            self._watch.add(job)
        self._current.job = job
        self._current.in_job_run = True
        try:
            yield
        finally:
            self._current.job = None
            self._current.in_job_run = False
            if job is not None:
                job.original_running = False

    def _collecting(self, job: Job | None, function: Callable, *args) -> object:
        """Run ``function`` with the containers it starts counted as ``job``'s."""
        self._current.job = job
        try:
            return function(*args)
        finally:
            self._current.job = None

    def follow(self, role: str, target: DebugTarget, service: dict) -> None:
        """Count ``target`` to the job starting it; an endpoint with live source follows it."""
        container = str(service.get("container_name") or target.service)
        job = getattr(self._current, "job", None)
        if job is not None:
            job.runs.add(target, container)
        elif role in ("training", "processing"):
            if not getattr(self._current, "in_job_run", False):
                self._note(
                    f"--watch: {role} container {container} was not started by a call "
                    "smdebug-local can repeat; it is not rerun on changes"
                )
        elif role == "serving":
            live = [
                local for local, remote in target.mappings if remote in ROLES["serving"].live_code
            ]
            port = published_port(service, 8080) or 8080
            if not live:
                self._note(
                    f"--watch: serving container {container} runs code baked into "
                    "its image; rebuild the image to change it"
                )
                return
            env = env_to_dict(service.get("environment"))
            endpoint = Endpoint(
                container=container,
                source=Source("serving", live[0], env.get("SAGEMAKER_PROGRAM") or None),
                base_url=f"http://127.0.0.1:{port}",
                restart=self._restart,
                say=self._say,
                hot_apply=self._hot_apply,
                snapshot=Snapshot.of(live[0], files(ignore_rules(live[0]))),
            )
            endpoint.runs.add(target, container)
            self._watch.add(endpoint)

    def stopping(self, container_names: list[str]) -> None:
        """The SDK stops these containers: their endpoints are no longer followed."""
        for job in self._watch.jobs():
            if isinstance(job, Endpoint) and job.container in container_names:
                self._watch.forget(job)

    def until_interrupted(self) -> None:
        """Keep following sources until Ctrl-C (returns at once if nothing is followed)."""
        jobs = self._watch.jobs()
        if not jobs:
            self._say(
                "--watch: no training or processing job or endpoint with local source to watch; done"
            )
            return
        self._say(f"script done; still watching {len(jobs)} job(s) for changes (Ctrl-C to stop)")
        while True:
            time.sleep(0.5)

    def close(self) -> None:
        """Stop following: cancelling a rerun removes its containers; compose and the SDK
        then return. The status folders go."""
        self._watch.stop()
        if self._status_root is not None:
            shutil.rmtree(self._status_root, ignore_errors=True)
            self._status_root = None

"""Watch mode's reruns of jobs started by a user-level SDK call (``Processor.run``,
``ModelTrainer.train``): what the call ran from, and calling it again.

A processing job's code reaches local mode already uploaded (S3), and ModelTrainer's
drivers folder is deleted when its ``train()`` returns: repeating the low-level local-mode
call would run stale or missing code. So the user's call is recorded when it starts
(:class:`Calls`, per thread) and a rerun makes it again -- the SDK uploads and packs the
edited code as it did the first time -- on a shallow copy of the user's object (the
script's own ``latest_job`` and friends stay as its call left them). The low-level hook
that sees the job start (its name, its outputs) turns the recorded call into a
:class:`~smdebug_local.sdk.JobRequest`, and during a rerun renames the job and moves its
outputs apart.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

from . import JobRequest


@dataclass
class Call:
    """A user-level SDK call that starts a job, and what it runs from.

    ``again(job_name)`` makes the call again for a rerun named ``job_name`` (blocking).
    While a rerun runs, ``rerun_name`` is its job name and ``result`` receives where its
    outputs went.
    """

    again: Callable[[str], object]
    source_dir: str | None
    entry_point: str | None = None
    entry_only: bool = False
    elsewhere: str = "runs code from S3"
    rerun_name: str | None = None
    result: object = field(default=None)


class Calls:
    """The recorded call running on each thread (the outermost: FrameworkProcessor's
    ``run`` calls ScriptProcessor's with the code already uploaded)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def current(self) -> Call | None:
        return getattr(self._local, "call", None)

    @contextmanager
    def making(self, call: Call) -> Iterator[None]:
        outer = self.current
        self._local.call = call
        try:
            yield
        finally:
            self._local.call = outer

    def rerunning(self) -> Call | None:
        """The rerun this thread is making (None: none)."""
        call = self.current
        return call if call is not None and call.rerun_name is not None else None

    def request(self, kind: str, name: str, outputs: str, elsewhere: str) -> JobRequest:
        """The job ``name`` starting on this thread (not a rerun), described; ``elsewhere``
        says what it runs if no recorded call started it."""
        call = self.current
        if call is None:
            return JobRequest(kind, name, None, None, None, elsewhere=elsewhere)
        rerun = None
        if call.source_dir is not None:

            def rerun(attempt: int) -> object:
                again = replace(call, rerun_name=f"{name}-rerun-{attempt}", result=None)
                with self.making(again):
                    call.again(f"{name}-rerun-{attempt}")
                return again.result

        return JobRequest(
            kind,
            name,
            call.source_dir,
            call.entry_point,
            rerun,
            entry_only=call.entry_only,
            elsewhere=call.elsewhere,
            outputs=outputs,
        )


def _copied(value: object) -> object:
    """A deep copy of an argument, or the value itself if it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:  # an SDK object that refuses (a session, a lock): shared as given
        return value


def again_on_a_copy(
    original: Callable, given: Mapping[str, object], name_parameter: str | None
) -> Callable[[str], object]:
    """``again(job_name)``: ``original`` called with the arguments it was ``given`` (by
    name, ``self`` first), on a shallow copy of ``self``, waiting for the job, named by
    ``name_parameter`` if the SDK takes one.

    The arguments are copied now, before the SDK's call: it fills in the objects it was
    given (a processor sets each output's default destination, under the first job's
    name, and points local inputs at their upload).
    """
    arguments = {name: _copied(value) for name, value in given.items() if name != "self"}
    owner: Any = given["self"]  # the SDK object, of its own type

    def again(job_name: str) -> object:
        twin = copy.copy(owner)
        jobs = getattr(twin, "jobs", None)
        if isinstance(jobs, list):  # a Processor appends each job it runs
            twin.jobs = list(jobs)
        named = {name_parameter: job_name} if name_parameter else {}
        fresh = {name: _copied(value) for name, value in arguments.items()}
        return original(twin, **{**fresh, "wait": True, **named})

    return again


def _local_path(uri: object) -> str | None:
    """The absolute path of a local (or ``file://``) path; None for S3 or anything else."""
    if not isinstance(uri, str) or not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return os.path.abspath(parsed.netloc + parsed.path)
    if parsed.scheme:
        return None
    return os.path.abspath(uri)


def processing_call(given: Mapping[str, object], again: Callable[[str], object]) -> Call:
    """What a Processor's ``run(code=..., source_dir=...)`` runs from.

    A ScriptProcessor (and a FrameworkProcessor without ``source_dir``) uploads only the
    ``code`` file; a FrameworkProcessor packs its whole ``source_dir``. Code in S3 or git
    has no local folder to follow.
    """
    code, source_dir = given.get("code"), given.get("source_dir")
    if given.get("git_config"):
        return Call(again, None, elsewhere="runs code from git")
    if source_dir:
        folder = _local_path(source_dir)
        if folder is None or not os.path.isdir(folder):
            return Call(again, None)
        entry = os.path.basename(str(code)) if code else None
        return Call(again, folder, entry)
    path = _local_path(code)
    if path is None:
        return Call(
            again, None, elsewhere="runs code from S3" if code else "runs the code in its image"
        )
    return Call(again, os.path.dirname(path), os.path.basename(path), entry_only=True)


def trainer_call(source_code: object, again: Callable[[str], object]) -> Call:
    """What a ModelTrainer's ``source_code`` runs from: a local ``source_dir`` is mounted
    as the ``code`` channel; an archive or S3 has no folder to follow."""
    if source_code is None:
        return Call(again, None, elsewhere="runs the code in its image")
    source_dir = getattr(source_code, "source_dir", None)
    entry = getattr(source_code, "entry_script", None)
    folder = _local_path(source_dir)
    if not source_dir:
        return Call(again, None, elsewhere="runs a command with no source_dir")
    if folder is None:
        return Call(again, None)
    if not os.path.isdir(folder):
        return Call(again, None, elsewhere="runs code from an archive (source_dir is a file)")
    return Call(again, folder, entry if isinstance(entry, str) else None)


def rerun_outputs(config: Mapping, job_name: str) -> dict:
    """A processing job's output configuration for rerun ``job_name``, never over an
    earlier run's: an output whose location does not already name the job (the SDK's
    default ``s3://bucket/<job>/output/<name>`` does) gets a folder named after it --
    local mode uploads (or copies, for ``file://``) straight into the given location."""
    out = copy.deepcopy(dict(config))
    for output in out.get("Outputs") or []:
        s3 = output.get("S3Output") if isinstance(output, dict) else None
        if not isinstance(s3, dict):
            continue
        uri = s3.get("S3Uri")
        if isinstance(uri, str) and uri and job_name not in uri.split("/"):
            s3["S3Uri"] = f"{uri.rstrip('/')}/{job_name}"
    return out


def output_locations(config: Mapping) -> str:
    """A processing job's output locations, for the line saying a rerun finished."""
    uris = [
        o["S3Output"]["S3Uri"]
        for o in config.get("Outputs") or []
        if isinstance(o, dict) and isinstance(o.get("S3Output"), dict) and "S3Uri" in o["S3Output"]
    ]
    return ", ".join(uris) or "none"

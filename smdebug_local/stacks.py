"""`smdebug-local stacks`: every thread's Python stack of every debugged process of a run,
labelled and grouped, so that "who waits for whom" in a hung job is one glance.

Each debugged process registered a stack-dump signal at start (the payload's
``_smdebug_local_stacks``); one ``docker exec`` per container runs that module as the
collector, which signals the container's registered processes and returns what each
dumped. A dump comes from a C signal handler, so a process stuck in C -- a collective, a
lock, I/O -- answers too, and nothing is paused. Parsing, trimming and grouping are pure
and unit-tested; :func:`collect` is the I/O.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from .payload import CONTAINER_BOOT_DIR

# In the container: the collector's interpreter (a link the payload makes) and script.
COLLECTOR = [
    "/tmp/smdebug-local-stacks/python",
    "-S",
    "-E",
    f"{CONTAINER_BOOT_DIR}/_smdebug_local_stacks.py",
]
SERVICE_LABEL = "com.docker.compose.service"
_THREAD = re.compile(r"^(Current thread|Thread) (0x[0-9a-f]+) \(most recent call first\):$")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')
# Frames of the debugger (and of this payload): a thread made only of them is the
# debugger's own; on top of a user's thread they mean it is paused at a breakpoint.
_DEBUGGER = ("/debugpy/", "/pydevd", "/_pydevd", "/_pydev_", "/_smdebug_local_")
_LIBRARY = re.compile(r"/(site-packages|dist-packages)/|/lib/python\d")
# What a thread does when these functions are among the frames cut from its top.
_STATES = (
    ("do_wait_suspend", "paused in the debugger"),
    ("_wait_for_ide", "crashed; paused for post-mortem, waiting for a debugger"),
)


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    function: str

    @property
    def is_user(self) -> bool:
        return not _LIBRARY.search(self.file) and not self.file.startswith("<")

    def short(self) -> str:
        return f"{self.file.rsplit('/', 1)[-1]}:{self.line}"


@dataclass(frozen=True)
class Thread:
    thread: str
    current: bool
    frames: tuple[Frame, ...]  # outermost first, as in a Python traceback
    state: str = ""  # "paused in the debugger", ... (the debugger's frames removed)

    def summary(self) -> str:
        """``all_reduce <- train.py:31``: where it is, and the user's line that led there."""
        if not self.frames:
            return self.state or "(no Python frames)"
        innermost = self.frames[-1]
        users = [f for f in self.frames if f.is_user]
        text = innermost.function
        if users and users[-1] is not innermost:
            text += f" <- {users[-1].short()}"
        elif innermost.is_user:
            text += f" at {innermost.short()}"
        return text + (f" ({self.state})" if self.state else "")


@dataclass
class Process:
    label: str
    service: str
    container: str
    pid: int | None
    threads: list[Thread] = field(default_factory=list)
    note: str | None = None


@dataclass
class Group:
    """Processes (threads) whose stacks are identical."""

    members: list[tuple[str, str]]  # (process label, thread id)
    thread: Thread


def parse(text: str) -> list[Thread]:
    """faulthandler's ``dump_traceback(all_threads=True)`` output -> its threads."""
    threads: list[Thread] = []
    current: tuple[str, bool] | None = None
    frames: list[Frame] = []

    def flush() -> None:
        if current is not None:
            threads.append(Thread(current[0], current[1], tuple(reversed(frames))))

    for line in text.splitlines():
        header = _THREAD.match(line)
        if header:
            flush()
            current, frames = (header.group(2), header.group(1) == "Current thread"), []
            continue
        frame = _FRAME.match(line)
        if frame and current is not None:
            frames.append(Frame(frame.group(1), int(frame.group(2)), frame.group(3)))
    flush()
    return threads


def _is_debugger(frame: Frame) -> bool:
    return any(part in frame.file for part in _DEBUGGER)


def trim(thread: Thread) -> Thread | None:
    """The thread without the debugger's frames (and the standard library's above them),
    with what they say it does; None for the debugger's own threads. A thread started
    under debugpy begins in its wrapper (pydev_monkey): those leading frames go too."""
    frames = list(thread.frames)
    if not frames:
        return thread  # "<no Python frame>": a thread in C only
    lead = next((i for i, f in enumerate(frames) if not _is_debugger(f)), len(frames))
    if lead == len(frames):  # the debugger's frames only (a crash's excepthook, or its own)
        state = _state_of(frames)
        return Thread(thread.thread, thread.current, (), state) if state else None
    first = next((i for i in range(lead, len(frames)) if _is_debugger(frames[i])), None)
    if first is None:
        return thread if lead == 0 else replace(thread, frames=tuple(frames[lead:]))
    kept, state = frames[lead:first], _state_of(frames[first:])
    if not any(f.is_user for f in kept) and not state:
        return None  # a thread of the debugger (it starts in threading's bootstrap)
    return Thread(thread.thread, thread.current, tuple(kept), state)


def _state_of(cut: list[Frame]) -> str:
    """What the debugger's frames on top of a thread say it does ("" if nothing)."""
    return next((s for name, s in _STATES if any(f.function == name for f in cut)), "")


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def group(processes: Iterable[Process]) -> list[Group]:
    """Identical stacks together, groups in the order of their first process."""
    groups: dict[tuple, Group] = {}
    for process in sorted(processes, key=lambda p: _natural(p.label)):
        for thread in process.threads:
            key = (thread.frames, thread.state)
            if key in groups:
                groups[key].members.append((process.label, thread.thread))
            else:
                groups[key] = Group([(process.label, thread.thread)], thread)
    return list(groups.values())


def _members(group_: Group, threads_of: dict[str, int]) -> str:
    names = [
        label if threads_of.get(label, 1) == 1 else f"{label} [thread {thread}]"
        for label, thread in group_.members
    ]
    return " · ".join(names)


def render(run: str, script: str, processes: Sequence[Process], seconds: float) -> str:
    """The text `stacks` prints for one run."""
    threads_of = {p.label: len(p.threads) for p in processes}
    groups = group(processes)
    lines = [
        f"run {run} ({script}): {len(processes)} process(es), {len(groups)} distinct "
        f"stack(s), collected in {seconds:.2f} s"
    ]
    lines += [f"  {_members(g, threads_of)}: {g.thread.summary()}" for g in groups]
    for process in processes:
        if process.note:
            lines.append(f"  {process.label}: {process.note}")
    for g in groups:
        lines.append("")
        lines.append(f"{_members(g, threads_of)}:")
        lines += [f'  File "{f.file}", line {f.line}, in {f.function}' for f in g.thread.frames]
        if g.thread.state:
            lines.append(f"  ({g.thread.state})")
    return "\n".join(lines)


def as_json(run: str, script: str, processes: Sequence[Process], seconds: float) -> dict:
    return {
        "run": run,
        "script": script,
        "seconds": round(seconds, 3),
        "processes": [asdict(p) for p in processes],
        "groups": [
            {
                "members": [{"label": label, "thread": t} for label, t in g.members],
                "summary": g.thread.summary(),
                "state": g.thread.state,
                "frames": [asdict(f) for f in g.thread.frames],
            }
            for g in group(processes)
        ],
    }


# How long a running container may print nothing before `status` points at `stacks`.
QUIET_AFTER = 300.0


def last_output_age(log_line: bytes | str, now: datetime) -> float | None:
    """Seconds since the log line Docker timestamped (``docker logs --timestamps``:
    ``2026-12-05T00:41:08.537123456Z text``); None when there is none."""
    text = log_line.decode("utf-8", "replace") if isinstance(log_line, bytes) else log_line
    stamp = text.strip().split(" ", 1)[0]
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", stamp)
    if not match:
        return None
    fraction = (match.group(2) or "0")[:6].ljust(6, "0")
    when = datetime.fromisoformat(f"{match.group(1)}.{fraction}+00:00")
    return max(0.0, (now - when).total_seconds())


def quiet_line(service: str, seconds: float) -> str:
    """What `status` says about a container quiet for ``seconds``."""
    return (
        f"{service}: no output for {seconds / 60:.0f} min -- if it hangs, "
        "`smdebug-local stacks` shows where each of its processes is"
    )


def quiet_containers(containers: Iterable, now: datetime) -> list[str]:
    """`status`'s lines for the running containers that printed nothing for QUIET_AFTER."""
    lines = []
    for container in containers:
        if container.status != "running":
            continue
        try:
            age = last_output_age(container.logs(tail=1, timestamps=True), now)
        except Exception:  # it ended in between
            continue
        if age is not None and age >= QUIET_AFTER:
            lines.append(quiet_line(container.labels.get(SERVICE_LABEL, container.name), age))
    return lines


def processes_of(service: str, container: str, answer: str) -> list[Process]:
    """The collector's JSON answer from one container -> its processes."""
    found = []
    for item in json.loads(answer or "[]"):
        threads = [t for t in (trim(t) for t in parse(item.get("text") or "")) if t is not None]
        found.append(
            Process(
                label=str(item.get("label")),
                service=service,
                container=container,
                pid=item.get("pid"),
                threads=threads,
                note=item.get("note"),
            )
        )
    return found


def collect(engine, run: str, target: str | None = None) -> tuple[list[Process], float]:
    """Every registered process of the run's running containers (of service ``target``
    only, when given), all containers at once; and how long it took."""
    from .compose import LABEL_RUN

    start = time.monotonic()
    containers = [
        c
        for c in engine.containers(LABEL_RUN, run)
        if c.status == "running" and target in (None, c.labels.get(SERVICE_LABEL))
    ]

    def one(container) -> list[Process]:
        service = container.labels.get(SERVICE_LABEL, container.name)
        try:
            code, output = container.exec_run(COLLECTOR, user="root", demux=True)
        except Exception as exc:  # the container ended in between
            return [Process(service, service, container.name, None, note=f"not reached ({exc})")]
        stdout = (output[0] or b"").decode("utf-8", "replace") if output else ""
        if code != 0:
            return [
                Process(
                    service,
                    service,
                    container.name,
                    None,
                    note="no debugged Python process has started in it (yet)",
                )
            ]
        return processes_of(service, container.name, stdout)

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(containers)))) as pool:
        found = [p for batch in pool.map(one, containers) for p in batch]
    return found, time.monotonic() - start

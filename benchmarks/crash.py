"""Crash and hang benchmarks, measured side by side in one run (these machines are noisy).

(a) crash -> line: from the training script raising (its own timestamp, printed just
    before) to the line on the host that says so -- smdebug-local's "crashed ... paused for
    post-mortem" line, vs the traceback line ("ValueError: ...") of the same job with the
    debugger but --no-post-mortem, and of plain local mode; all read from the output as it
    streams. The first ratio is what the post-mortem pause costs; the difference to plain is
    the debugger's (the script's DataLoader worker ends under it before the excepthook).
(b) `smdebug-local stacks` on a torchrun job of 2 hosts x 2 ranks where rank 1 hangs
    outside the all-reduce: wall time of the command, and the collection inside it, vs
    the floor of reaching those containers at all (`docker exec <c> true` in both, in
    parallel) -> ratio; goal: the command within about 2 s.

Medians of ROUNDS (a) and of STACKS calls (b).
Usage: .venv/bin/python benchmarks/crash.py [--rounds N] [--stacks N] [--only a,b]
Image: $SMDEBUG_LOCAL_TEST_TRAINING_IMAGE, else the locally built pytorch-training image.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "images"), str(REPO / "tests" / "e2e")]

import build  # noqa: E402
from conftest import SMDEBUG, WAITING  # noqa: E402

PROJECTS = REPO / "tests" / "e2e" / "projects"
ENV = {"SAGEMAKER_SUPPRESS_V2_WARNING": "1"}
CRASHED = re.compile(r"smdebug-local: .* crashed \(ValueError")
PLAIN_CRASHED = re.compile(r"\|.*ValueError: bad shape")
RAISED = re.compile(r"BENCH raised=([\d.]+)")


class Timed:
    """A command whose output lines are kept with the wall-clock time each arrived."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **ENV, **env},
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.lines: list[tuple[float, str]] = []
        self._done = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append((time.time(), line.rstrip("\n")))
        self._done.set()

    def first(self, pattern: re.Pattern, timeout: float = 300) -> tuple[float, re.Match]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in list(self.lines):
                match = pattern.search(line)
                if match:
                    return when, match
            if self._done.is_set():
                break
            time.sleep(0.01)
        raise SystemExit(f"{pattern.pattern!r} not seen:\n" + self.tail())

    def tail(self) -> str:
        return "\n".join(line for _, line in self.lines[-40:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def crash_project(tmp: str) -> Path:
    """projects/crash, its script printing the time just before it raises."""
    project = Path(tmp, "crash")
    shutil.copytree(PROJECTS / "crash", project)
    script = project / "src" / "train.py"
    text = script.read_text()
    raise_line = '        raise ValueError(f"bad shape {tuple(batch.shape)}")  # main crash'
    stamp = '        import time; print(f"BENCH raised={time.time():.6f}", flush=True)\n'
    script.write_text(text.replace(raise_line, stamp + raise_line))
    return project


def a(rounds: int, image: str) -> None:
    env = {"TEST_IMAGE": image, "TEST_CRASH": "main"}
    ours, plain, bare = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        project = crash_project(tmp)
        for _ in range(rounds):
            run = Timed(
                [SMDEBUG, "run", "--no-wait", "--no-post-mortem", "driver.py"], project, env
            )
            try:
                seen, _ = run.first(PLAIN_CRASHED)
                raised = float(run.first(RAISED)[1][1])
                bare.append(seen - raised)
            finally:
                run.proc.wait(120)
            run = Timed([SMDEBUG, "run", "--no-wait", "--post-mortem", "driver.py"], project, env)
            try:
                seen, _ = run.first(CRASHED)
                raised = float(run.first(RAISED)[1][1])
                ours.append(seen - raised)
            finally:
                run.stop()
            run = Timed([sys.executable, "driver.py"], project, env)
            try:
                seen, _ = run.first(PLAIN_CRASHED)
                raised = float(run.first(RAISED)[1][1])
                plain.append(seen - raised)
            finally:
                run.proc.wait(120)
    o, p, n = statistics.median(ours), statistics.median(plain), statistics.median(bare)
    print(
        f"(a) crash -> line: post-mortem line {o:.3f} s; traceback with the debugger and "
        f"--no-post-mortem {n:.3f} s; plain local mode's traceback {p:.3f} s"
    )
    print(f"    post-mortem vs debugger alone: ratio {o / n:.2f}; vs plain: +{o - p:.3f} s")


def b(calls: int, image: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "ranks")
        shutil.copytree(PROJECTS / "ranks", project)
        env = {"TEST_IMAGE": image, "TEST_HOSTS": "2", "TEST_RANKS_PER_HOST": "2", "TEST_HANG": "1"}
        run = Timed([SMDEBUG, "run", "--no-wait", "--no-post-mortem", "driver.py"], project, env)
        try:
            deadline = time.monotonic() + 300
            while sum(1 for _, line in run.lines if WAITING.search(line)) < 4:
                if time.monotonic() > deadline or run.proc.poll() is not None:
                    raise SystemExit("the four ranks did not start:\n" + run.tail())
                time.sleep(0.5)
            deadline = time.monotonic() + 120
            while True:  # until the three other ranks are in the collective
                doc = stacks(project)[0]
                summaries = [g["summary"] for g in doc["groups"]]
                in_collective = sum(
                    len(g["members"]) for g in doc["groups"] if "all_reduce" in g["summary"]
                )
                if in_collective >= 3 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            processes = len(doc["processes"])
            walls, inner, floors = [], [], []
            containers = [
                c
                for c in subprocess.run(
                    ["docker", "ps", "--format", "{{.Names}}"], capture_output=True, text=True
                ).stdout.split()
                if "algo-" in c
            ]
            for _ in range(calls):
                doc, wall = stacks(project)
                walls.append(wall)
                inner.append(doc["seconds"])
                floors.append(exec_floor(containers))
        finally:
            run.stop()
    w, i, f = statistics.median(walls), statistics.median(inner), statistics.median(floors)
    print(
        f"(b) stacks, 2 hosts x 2 ranks ({processes} processes, {len(containers)} containers; "
        f"groups: {summaries}):"
    )
    print(
        f"    command {w:.2f} s (collection {i:.2f} s) vs `docker exec true` in each, in "
        f"parallel, {f:.2f} s: ratio {i / f:.2f} (collection) / {w / f:.2f} (command)"
    )


def stacks(project: Path) -> tuple[dict, float]:
    start = time.monotonic()
    done = subprocess.run(
        [SMDEBUG, "stacks", "--json"], cwd=project, capture_output=True, text=True, timeout=60
    )
    wall = time.monotonic() - start
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return json.loads(done.stdout)["runs"][0], wall


def exec_floor(containers: list[str]) -> float:
    start = time.monotonic()
    with ThreadPoolExecutor(len(containers)) as pool:
        list(
            pool.map(
                lambda c: subprocess.run(["docker", "exec", c, "true"], check=True), containers
            )
        )
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stacks", type=int, default=5)
    parser.add_argument("--only", default="a,b")
    args = parser.parse_args()
    image = os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE") or build.ensure("pytorch-training")
    chosen = set(args.only.split(","))
    if "a" in chosen:
        a(args.rounds, image)
    if "b" in chosen:
        b(args.stacks, image)


if __name__ == "__main__":
    main()

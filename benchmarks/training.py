"""Training benchmarks, measured side by side in one run (these machines are noisy).

(a) CPU training loop of a small CNN with a debugger attached (a breakpoint set, never hit)
    vs the same job in plain local mode -> ratio, goal <= 1.15.
(b) Time from fit() to the first line of user code: smdebug-local --no-wait vs plain local
    mode -> overhead in seconds, goal <= 1 s.

Plain and debugged runs alternate, ROUNDS times each; medians are reported.
Usage: .venv/bin/python benchmarks/training.py [--rounds N] [--steps N] [--images A,B]
Image: $SMDEBUG_LOCAL_TEST_TRAINING_IMAGE, else the locally built pytorch-training image.
--images: several images measured side by side in the same rounds (test-image recipe names
of tests/images/build.py or image tags), e.g. --images pytorch-training,pytorch-training-py313
for Python 3.11 (debugpy traces with sys.settrace) against 3.13 (sys.monitoring, PEP 669).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "images"), str(REPO / "tests" / "e2e")]

import build  # noqa: E402
from conftest import WAITING, Run, marker_line  # noqa: E402
from dap import Debugger  # noqa: E402

BENCH = re.compile(r"BENCH (\w+)=([\d.]+)(?: (\w+)=([\d.]+))?")


def values(lines: list[str]) -> dict[str, float]:
    found = {}
    for line in lines:
        for m in BENCH.finditer(line):
            found[m[1]] = float(m[2])
            if m[3]:
                found[m[3]] = float(m[4])
    return found


def plain(project: Path, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode:
        raise SystemExit(f"plain run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return values(out.stdout.splitlines())


def debugged(project: Path, env: dict[str, str], attach: bool) -> dict[str, float]:
    run = Run(([] if attach else ["--no-wait"]) + ["driver.py"], cwd=project, env=env)
    if attach:
        (match,) = run.wait_for(WAITING)
        train = project / "src" / "train.py"
        debugger = Debugger(
            match["bind"],
            int(match["port"]),
            [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
            {str(train): [marker_line(train, "# idle breakpoint")]},
        )
        debugger.attach()
    if run.finish(timeout=600) != 0:
        raise SystemExit(f"smdebug-local run failed:\n{run.output}")
    return values(run.lines)


# Loop-ratio goals (a) per test image (issue 16); any other image: the README's 1.15.
LOOP_GOALS = {"pytorch-training": 1.05, "pytorch-training-py313": 1.02}


def resolve(image: str) -> str:
    """A recipe name of tests/images/build.py -> its (built) tag; anything else as given."""
    return build.ensure(image) if image in build.RECIPES else image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--images",
        default=None,
        help="comma-separated recipe names or image tags, measured side by side",
    )
    args = parser.parse_args()
    names = (
        args.images.split(",")
        if args.images
        else [os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE") or "pytorch-training"]
    )
    images = {name: resolve(name) for name in names}
    import docker

    client = docker.from_env()
    before = {c.id for c in client.containers.list(all=True)}
    try:
        measure(args, names, images)
    finally:
        # Plain local mode leaves its exited containers behind; this benchmark's go.
        for c in client.containers.list(all=True, filters={"status": "exited"}):
            if c.id not in before:
                c.remove(force=True)


def measure(args: argparse.Namespace, names: list[str], images: dict[str, str]) -> None:
    results: dict[str, dict[str, list[float]]] = {
        name: {"loop_plain": [], "loop_debug": [], "start_plain": [], "start_debug": []}
        for name in names
    }
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "cnn")
        shutil.copytree(HERE / "cnn", project)
        for i in range(args.rounds):
            # Alternate which goes first, so drift (caches, clocks) favours neither side.
            for name in names if i % 2 == 0 else list(reversed(names)):
                env = {
                    "BENCH_IMAGE": images[name],
                    "BENCH_STEPS": str(args.steps),
                    "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
                }
                steps = {
                    "plain": lambda env=env: plain(project, env),
                    "attached": lambda env=env: debugged(project, env, attach=True),
                    "no-wait": lambda env=env: debugged(project, env, attach=False),
                }
                order = list(steps) if i % 2 == 0 else list(reversed(steps))
                done = {step: steps[step]() for step in order}
                p, d, n = done["plain"], done["attached"], done["no-wait"]
                r = results[name]
                r["loop_plain"].append(p["loop"])
                r["start_plain"].append(p["user_start"] - p["fit_called"])
                r["loop_debug"].append(d["loop"])
                r["start_debug"].append(n["user_start"] - n["fit_called"])
                label = f" [{name}]" if len(names) > 1 else ""
                print(
                    f"round {i + 1}{label}: loop plain {p['loop']:.2f}s debug "
                    f"{d['loop']:.2f}s | fit->user plain {r['start_plain'][-1]:.2f}s "
                    f"no-wait {r['start_debug'][-1]:.2f}s",
                    flush=True,
                )
    med = statistics.median
    for name in names:
        r = results[name]
        ratio = med(d / p for d, p in zip(r["loop_debug"], r["loop_plain"]))
        overhead = med(d - p for d, p in zip(r["start_debug"], r["start_plain"]))
        label = f" [{name}]" if len(names) > 1 else ""
        print(
            f"(a){label} training loop, debugger attached, idle breakpoint: plain "
            f"{med(r['loop_plain']):.2f}s, debug {med(r['loop_debug']):.2f}s, ratio "
            f"{ratio:.3f} (goal <= {LOOP_GOALS.get(name, 1.15)})"
        )
        print(
            f"(b){label} fit() -> first line of user code: plain {med(r['start_plain']):.2f}s,"
            f" smdebug-local --no-wait {med(r['start_debug']):.2f}s, overhead "
            f"{overhead:+.2f}s (goal <= 1 s)"
        )


if __name__ == "__main__":
    main()

"""Training benchmarks, measured side by side in one run (these machines are noisy).

(a) CPU training loop of a small CNN with a debugger attached (a breakpoint set, never hit)
    vs the same job in plain local mode -> ratio, goal <= 1.15.
(b) Time from fit() to the first line of user code: smdebug-local --no-wait vs plain local
    mode -> overhead in seconds, goal <= 1 s.

Plain and debugged runs alternate, ROUNDS times each; medians are reported.
Usage: .venv/bin/python benchmarks/training.py [--rounds N] [--steps N]
Image: $SMDEBUG_LOCAL_TEST_TRAINING_IMAGE, else the locally built pytorch-training image.
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
    out = subprocess.run([sys.executable, "driver.py"], cwd=project, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit(f"plain run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return values(out.stdout.splitlines())


def debugged(project: Path, env: dict[str, str], attach: bool) -> dict[str, float]:
    run = Run(([] if attach else ["--no-wait"]) + ["driver.py"], cwd=project, env=env)
    if attach:
        (match,) = run.wait_for(WAITING)
        train = project / "src" / "train.py"
        debugger = Debugger(match["bind"], int(match["port"]),
                            [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
                            {str(train): [marker_line(train, "# idle breakpoint")]})
        debugger.attach()
    if run.finish(timeout=600) != 0:
        raise SystemExit(f"smdebug-local run failed:\n{run.output}")
    return values(run.lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    image = os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE") or build.ensure("pytorch-training")
    env = {"BENCH_IMAGE": image, "BENCH_STEPS": str(args.steps),
           "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "cnn")
        shutil.copytree(HERE / "cnn", project)
        loop_plain, loop_debug, start_plain, start_debug = [], [], [], []
        for i in range(args.rounds):
            # Alternate which goes first, so drift (caches, clocks) favours neither side.
            steps = {"plain": lambda: plain(project, env),
                     "attached": lambda: debugged(project, env, attach=True),
                     "no-wait": lambda: debugged(project, env, attach=False)}
            order = list(steps) if i % 2 == 0 else list(reversed(steps))
            results = {name: steps[name]() for name in order}
            p, d, n = results["plain"], results["attached"], results["no-wait"]
            loop_plain.append(p["loop"])
            start_plain.append(p["user_start"] - p["fit_called"])
            loop_debug.append(d["loop"])
            start_debug.append(n["user_start"] - n["fit_called"])
            print(f"round {i + 1}: loop plain {p['loop']:.2f}s debug {d['loop']:.2f}s | "
                  f"fit->user plain {start_plain[-1]:.2f}s no-wait {start_debug[-1]:.2f}s",
                  flush=True)
    med = statistics.median
    ratio = med(d / p for d, p in zip(loop_debug, loop_plain))
    overhead = med(d - p for d, p in zip(start_debug, start_plain))
    print(f"(a) training loop, debugger attached, idle breakpoint: plain {med(loop_plain):.2f}s, "
          f"debug {med(loop_debug):.2f}s, ratio {ratio:.3f} (goal <= 1.15)")
    print(f"(b) fit() -> first line of user code: plain {med(start_plain):.2f}s, smdebug-local "
          f"--no-wait {med(start_debug):.2f}s, overhead {overhead:+.2f}s (goal <= 1 s)")


if __name__ == "__main__":
    main()

"""Serving benchmarks, measured side by side in one run: plain local mode vs smdebug-local.

For examples/quickstart/deploy.py (train, deploy, one prediction, delete):
  deploy   -- deploy() call to endpoint ready (as the example prints it)
  teardown -- the prediction printed -> the driver process gone (delete_model,
              delete_endpoint, and for smdebug-local the session's clean-up)
Plain and debugged runs alternate, ROUNDS times each; medians are reported.
Usage: .venv/bin/python benchmarks/serving.py [--rounds N]
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "images"))

import build  # noqa: E402

SMDEBUG = str(Path(sys.executable).with_name("smdebug-local"))
READY = re.compile(r"endpoint ready after ([\d.]+)s")


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deploy = predicted = None
    tail = []
    for line in proc.stdout:
        tail = [*tail, line][-40:]
        if m := READY.search(line):
            deploy = float(m[1])
        if line.startswith("prediction:"):
            predicted = time.monotonic()
    code = proc.wait()
    gone = time.monotonic()
    if code or deploy is None or predicted is None:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{''.join(tail)}")
    return deploy, gone - predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {
        "SMDEBUG_LOCAL_EXAMPLE_IMAGE": os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE")
        or build.ensure("pytorch-training"),
        "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": os.environ.get("SMDEBUG_LOCAL_TEST_SERVING_IMAGE")
        or build.ensure("pytorch-inference"),
        "EXAMPLE_EPOCHS": "1",
        "EXAMPLE_WORKERS": "0",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    runs = {
        "plain": [sys.executable, "deploy.py"],
        "smdebug-local": [SMDEBUG, "run", "--no-wait", "deploy.py"],
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "quickstart")
        shutil.copytree(
            REPO / "examples" / "quickstart",
            project,
            ignore=shutil.ignore_patterns("data", "output"),
        )
        for i in range(args.rounds):
            order = list(runs) if i % 2 == 0 else list(reversed(runs))
            for name in order:
                results[name].append(measure(runs[name], project, env))
                deploy, teardown = results[name][-1]
                print(
                    f"round {i + 1} {name}: deploy {deploy:.1f}s teardown {teardown:.1f}s",
                    flush=True,
                )
    med = statistics.median
    for name, values in results.items():
        print(
            f"{name}: deploy {med(d for d, _ in values):.1f}s, "
            f"teardown {med(t for _, t in values):.1f}s"
        )
    ratio = med(t for _, t in results["smdebug-local"]) / med(t for _, t in results["plain"])
    print(f"teardown ratio smdebug-local/plain: {ratio:.2f}")


if __name__ == "__main__":
    main()

"""Serving benchmarks, measured side by side in one run: plain local mode vs smdebug-local.

For examples/quickstart/deploy.py (train, deploy, one prediction, delete):
  deploy   -- deploy() call to endpoint ready (as the example prints it)
  teardown -- the prediction printed -> the driver process gone (delete_model,
              delete_endpoint, and for smdebug-local the session's clean-up)
  worker   -- TorchServe starting the endpoint's worker: its frontend's "Model model
              loaded." (the model registered, its worker started next) -> the first
              "Backend response time" (the worker's answer to loading the model): the
              worker process, its imports, the debugger where there is one, model_fn;
              from the frontend's own timestamps in the container's log
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
STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{3}) ")


def stamp(line: str) -> float | None:
    """The TorchServe frontend's timestamp of a log line, in seconds (None if it has none)."""
    m = STAMP.search(line)
    if m is None:
        return None
    return time.mktime(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S")) + int(m[2]) / 1000


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deploy = predicted = spawned = loaded = None
    tail = []
    for line in proc.stdout:
        tail = [*tail, line][-40:]
        if spawned is None and "ModelManager - Model model loaded." in line:
            spawned = stamp(line)
        if loaded is None and "WorkerThread - Backend response time:" in line:
            loaded = stamp(line)
        if m := READY.search(line):
            deploy = float(m[1])
        if line.startswith("prediction:"):
            predicted = time.monotonic()
    code = proc.wait()
    gone = time.monotonic()
    if code or deploy is None or predicted is None or spawned is None or loaded is None:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{''.join(tail)}")
    return deploy, gone - predicted, loaded - spawned


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
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
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
                deploy, teardown, worker = results[name][-1]
                print(
                    f"round {i + 1} {name}: deploy {deploy:.1f}s teardown {teardown:.1f}s "
                    f"worker {worker:.2f}s",
                    flush=True,
                )
    med = statistics.median
    medians = {
        name: [med(v[k] for v in values) for k in range(3)] for name, values in results.items()
    }
    for name, (deploy, teardown, worker) in medians.items():
        print(f"{name}: deploy {deploy:.1f}s, teardown {teardown:.1f}s, worker start {worker:.2f}s")
    ours, plain = medians["smdebug-local"], medians["plain"]
    print(f"teardown ratio smdebug-local/plain: {ours[1] / plain[1]:.2f}")
    print(f"worker start ratio smdebug-local/plain: {ours[2] / plain[2]:.2f} (goal <= 1.15)")


if __name__ == "__main__":
    main()

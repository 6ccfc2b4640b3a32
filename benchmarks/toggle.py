"""What turning debugging on and off costs: a notebook pays it at every toggle and cell.

Measured in one process, side by side, with a real Docker engine and the SDK imported
(as in a notebook after its first cell):
  enable()            a session started and the SDK hooked
  disable()           the session closed; nothing was started, so nothing to remove
  close after compose a session that saw a compose configuration (so it looks for its
                      containers and compose processes) but whose job never started
  a plain function    the same loop around a no-op, to show the timer's floor
Goal: each <= 50 ms (median). Usage: .venv/bin/python benchmarks/toggle.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOAL_MS = 50.0


def _median_ms(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds

    import sagemaker.local  # noqa: F401 - the SDK is imported already in a real notebook

    import smdebug_local
    from smdebug_local.sdk import ComposeRequest

    workdir = tempfile.mkdtemp(prefix="smdebug-local-bench-")
    os.chdir(workdir)  # the session's state file goes to the working directory
    compose = {
        "services": {
            "algo-1-bench": {
                "image": "smdebug-local-bench:none",
                "container_name": "bench-algo-1",
                "volumes": [f"{workdir}:/opt/ml/code"],
            }
        }
    }
    smdebug_local.disable()
    enable_ms = _median_ms(lambda: (smdebug_local.enable(), smdebug_local.disable()), rounds)
    sessions = []

    def enable_only() -> None:
        sessions.append(smdebug_local.enable())

    on_ms = _median_ms(enable_only, rounds)
    off_ms = _median_ms(smdebug_local.disable, rounds)  # the last one is the active one

    def with_compose() -> None:
        session = smdebug_local.enable()
        session.on_compose(ComposeRequest("training", "smdebug-local-bench:none", compose, workdir))
        started = time.perf_counter()
        smdebug_local.disable()
        closes.append((time.perf_counter() - started) * 1000)

    closes: list[float] = []
    for _ in range(rounds):
        with_compose()
    floor_ms = _median_ms(lambda: None, rounds)
    shutil.rmtree(workdir, ignore_errors=True)
    rows = [
        ("enable()", on_ms),
        ("disable()", off_ms),
        ("enable() + disable()", enable_ms),
        ("close after a compose", statistics.median(closes)),
        ("a plain function (floor)", floor_ms),
    ]
    print(f"median of {rounds} rounds (goal <= {GOAL_MS:.0f} ms each)")
    for name, ms in rows:
        print(f"  {name:<26} {ms:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bring-your-own serving models: server start to first answered /ping, plain vs debugged.

For each serving model of the byoc-sample image (tests/e2e/test_byoc_servers.py), the
sample's driver deploys an endpoint, plain (``python driver.py deploy``) and under
``smdebug-local run`` (serving does not wait for a debugger), alternating, ROUNDS times each.
Measured here, from the driver's output as it arrives: the container's "Starting the
inference server" line -> the first /ping this script (polling every 20 ms) gets 200 for --
the server's and its workers' start, nginx included where it runs, with and without the
debugger (gevent mode included where gevent is installed). Medians and ratios are printed.

Usage: .venv/bin/python benchmarks/byoc_servers.py [--rounds N] [--servers gevent,uvicorn]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "images"))

import build  # noqa: E402

SMDEBUG = str(Path(sys.executable).with_name("smdebug-local"))
SERVERS = {  # server -> workers, as in the e2e test
    "gevent": 2,
    "sync": 2,
    "gthread": 2,
    "uvicorn-worker": 2,
    "uvicorn": 2,
    "flask": 1,
    "waitress": 1,
}
PING = "http://127.0.0.1:8080/ping"


def _pinged() -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(PING, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def measure(command: list[str], project: Path, env: dict[str, str]) -> float:
    """Seconds from the server's start line to the first 200 from /ping."""
    hold = project / "hold"
    hold.unlink(missing_ok=True)
    proc = subprocess.Popen(
        command,
        cwd=project,
        env={**os.environ, **env, "TEST_HOLD_FILE": str(hold)},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    started = threading.Event()
    marks: dict[str, float] = {}
    tail: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            tail.append(line)
            if "Starting the inference server" in line and not started.is_set():
                marks["start"] = time.monotonic()
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while not started.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{' '.join(command)} never started serving:\n{''.join(tail[-40:])}")
    while not _pinged():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{' '.join(command)}: no /ping answer:\n{''.join(tail[-40:])}")
        time.sleep(0.02)
    ready = time.monotonic() - marks["start"]
    hold.touch()
    if proc.wait(120):
        raise SystemExit(f"{' '.join(command)} failed:\n{''.join(tail[-40:])}")
    reader.join(5)
    return ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default=",".join(SERVERS))
    args = parser.parse_args()
    image = os.environ.get("SMDEBUG_LOCAL_TEST_BYOC_SAMPLE_IMAGE") or build.ensure("byoc-sample")
    runs = {
        "plain": [sys.executable, "driver.py", "deploy"],
        "smdebug-local": [SMDEBUG, "run", "driver.py", "deploy"],
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "byoc_sample")
        shutil.copytree(REPO / "tests" / "e2e" / "projects" / "byoc_sample", project)
        shutil.copytree(
            REPO / "tests" / "images" / "byoc-sample" / "decision_trees",
            project / "container" / "decision_trees",
        )
        for server in args.servers.split(","):
            env = {
                "TEST_IMAGE": image,
                "SERVER": server,
                "MODEL_SERVER_WORKERS": str(SERVERS[server]),
                "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
            }
            results: dict[str, list[float]] = {name: [] for name in runs}
            for i in range(args.rounds):
                for name in runs if i % 2 == 0 else reversed(runs):
                    results[name].append(measure(runs[name], project, env))
                    print(f"{server} round {i + 1} {name}: {results[name][-1]:.2f}s", flush=True)
            plain = statistics.median(results["plain"])
            debugged = statistics.median(results["smdebug-local"])
            rows.append((server, SERVERS[server], plain, debugged))
    print("\nserver start -> first /ping answered (median)")
    print(f"{'server':16} {'workers':>7} {'plain':>8} {'debugged':>9} {'ratio':>6}")
    for server, workers, plain, debugged in rows:
        print(f"{server:16} {workers:>7} {plain:>7.2f}s {debugged:>8.2f}s {debugged / plain:>6.2f}")


if __name__ == "__main__":
    main()

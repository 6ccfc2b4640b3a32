"""Test tooling: a script debugged by the real payload behind the run's secret door, on
this machine (no Docker) -- as a container's process is, its adapter on a loopback port.

Used by tests/integration/test_relay.py and benchmarks/relay.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smdebug_local.payload import CONFIG_ENV, PAYLOAD_DIR


def start(
    script: Path,
    port: int,
    debugpy_dir: Path,
    secret: str,
    python: str = sys.executable,
    in_process: bool = False,
) -> subprocess.Popen:
    """Run ``script`` with the payload: it waits for a debugger on ``port`` behind the
    ``secret`` door -- debugpy's adapter's, or with ``in_process`` pydevd's own (as a
    model-server worker is served); returns once it says so (its output is the process's
    stdout, text)."""
    config = {
        "role": "training",
        "host": "algo-1",
        "ports": [[port, f"127.0.0.1:{port}"]],
        "wait": True,
        "match": [f"{script.parent}/*"],
        "debugpy": str(debugpy_dir),
        "door": f"secret:{secret}",
    }
    if in_process:
        config["stacks"] = [{"label": "a worker", "match": config["match"], "in_process": True}]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"PYTHONPATH": str(PAYLOAD_DIR), CONFIG_ENV: json.dumps(config)})
    proc = subprocess.Popen(
        [python, str(script)],
        cwd=script.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    assert "waiting for debugger" in line, line
    return proc

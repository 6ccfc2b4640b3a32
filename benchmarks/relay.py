"""What the run's relay adds to each debugger request: through the relay vs straight to the
adapter, side by side in one run.

Two copies of one script wait behind the payload's door (real debugpy, as a container's
process does; no Docker, whose port proxy is in both paths alike); a DAP client attaches to
one through the relay (smdebug_local.relay, the endpoint users attach to) and to the other
straight at its adapter, sending the run's secret itself. Both stop at the same breakpoint,
then, alternating, each path times ROUNDS of: a ``stackTrace`` request (a round trip) and a
``next`` step (request -> ``stopped`` event). Medians, their difference (the relay's cost
per request; the goal is at most 5 ms) and the ratio are printed.

Usage: .venv/bin/python benchmarks/relay.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from smdebug_local.debuggers import debugpy as debugpy_cache  # noqa: E402
from smdebug_local.payload._smdebug_local_door import line_for  # noqa: E402
from smdebug_local.ports import PortAllocator  # noqa: E402
from smdebug_local.relay import Relay  # noqa: E402

import door_debuggee  # noqa: E402
from dap import Debugger, Stop  # noqa: E402

SECRET = "00112233445566778899aabbccddeeff"
SCRIPT = "i = 0\nwhile True:\n    i += 1  # bench breakpoint\n    i -= 1\n"


def start_debuggee(folder: Path, port: int, debugpy_dir: Path) -> subprocess.Popen:
    script = folder / "loop.py"
    script.write_text(SCRIPT)
    return door_debuggee.start(script, port, debugpy_dir, SECRET)


def timed_request(stop: Stop) -> float:
    started = time.perf_counter()
    stop.frames()
    return time.perf_counter() - started


def timed_step(debugger: Debugger, stop: Stop) -> tuple[float, Stop]:
    started = time.perf_counter()
    stop.conn.request("next", {"threadId": stop.thread_id})
    following = debugger.next_stop(timeout=10)
    return time.perf_counter() - started, following


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    debugpy_dir = debugpy_cache.prepare(log=lambda m: None)
    folder = Path(tempfile.mkdtemp(prefix="smdebug-local-relay-bench-"))
    allocate = PortAllocator(24000).allocate
    direct_port, relayed_port, endpoint = allocate(), allocate(), allocate()
    (folder / "direct").mkdir()
    (folder / "relay").mkdir()
    procs = [
        start_debuggee(folder / "direct", direct_port, debugpy_dir),
        start_debuggee(folder / "relay", relayed_port, debugpy_dir),
    ]
    relay = Relay(SECRET, "127.0.0.1", lambda container, port: relayed_port)
    relay.route(endpoint, (None, "bench"), relayed_port)
    try:
        paths = {}
        for name, port, preamble in (
            ("direct", direct_port, line_for(SECRET)),
            ("relay", endpoint, b""),
        ):
            script = folder / name / "loop.py"
            debugger = Debugger(
                "127.0.0.1",
                port,
                [{"localRoot": str(script.parent), "remoteRoot": str(script.parent)}],
                {str(script): [3]},
                preamble=preamble,
            )
            debugger.attach()
            paths[name] = [debugger, debugger.next_stop(timeout=30)]
        samples: dict[str, dict[str, list[float]]] = {
            name: {"request": [], "step": []} for name in paths
        }
        for _ in range(rounds):
            for name, path in paths.items():
                debugger, stop = path
                samples[name]["request"].append(timed_request(stop))
                took, path[1] = timed_step(debugger, stop)
                samples[name]["step"].append(took)
        print(f"{rounds} rounds each, alternating; medians (ms):")
        for kind in ("request", "step"):
            direct = statistics.median(samples["direct"][kind]) * 1000
            relayed = statistics.median(samples["relay"][kind]) * 1000
            print(
                f"  {kind:8} direct {direct:6.2f}  relay {relayed:6.2f}  "
                f"relay adds {relayed - direct:+.2f} ms (ratio {relayed / direct:.2f})"
            )
        for debugger, _ in paths.values():
            debugger.close()
    finally:
        relay.close()
        for proc in procs:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()

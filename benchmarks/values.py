"""What tensors that say what they are cost in Variables, measured side by side in one run.

One container of the training image runs two debuggee processes, paused at the same
frame: it holds a 4096x4096 float32 torch tensor and a 10^8-element float64 NumPy array.
One runs plain debugpy, the other debugpy with the payload's providers
(``_smdebug_local_values.install()`` after ``configure``, as the bootstrap does). A DAP
client attached to each, as VS Code sends it, times alternately per round:

  scopes + locals   the frame's Variables (``scopes``, then ``variables`` of Locals)
  expand tensor     ``variables`` of the tensor
  expand array      ``variables`` of the array
  tensor [stats]    ``variables`` of the tensor's [stats] child (ours only: computed here)
  array [stats]     the same for the array (a strided sample of 1M of its 10^8 elements)
  expand [1, 2, 3]  ``variables`` of a 3-item list: the floor of one request that the
                    paused thread answers (pydevd's own wait, the adapter, Docker's proxy)

Medians of ROUNDS; ratio = with providers / plain. Goal: every figure <= 100 ms.
Usage: .venv/bin/python benchmarks/values.py [--rounds N]
Image: $SMDEBUG_LOCAL_TEST_TRAINING_IMAGE, else the locally built pytorch-training image.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "images")]

from smdebug_local.debuggers.cache import cache_root  # noqa: E402
from smdebug_local.payload import PAYLOAD_DIR  # noqa: E402

import build  # noqa: E402
from dap import Debugger  # noqa: E402

# The debuggee: configure, (install the providers,) listen, wait, stop in frame().
DEBUGGEE = """\
import os, sys
sys.path.insert(0, "/opt/smdebug-local/debugpy/" + sys.argv[2])
import debugpy
debugpy.configure(subProcess=False)
if sys.argv[3] == "values":
    sys.path.insert(0, "/opt/smdebug-local/boot")
    import _smdebug_local_values
    assert _smdebug_local_values.install()
debugpy.listen(("0.0.0.0", int(sys.argv[1])))
import numpy as np
import torch


def frame():
    tensor = torch.randn(4096, 4096, generator=torch.Generator().manual_seed(0))
    array = np.random.default_rng(0).random(10**8)
    small = [1, 2, 3]
    debugpy.wait_for_client()
    debugpy.breakpoint()
    return tensor, array, small


frame()
"""
PORTS = {"plain": 5678, "values": 5679}


def start(image: str, script: Path) -> tuple[str, dict[str, int]]:
    """The container with both debuggees; their host ports."""
    python = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", image, "-c",
         "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    version = "1.8.22" if tuple(map(int, python.split("."))) >= (3, 10) else "1.8.21"
    command = " & ".join(
        f"python /bench/debuggee.py {port} {version} {mode}" for mode, port in PORTS.items()
    )
    container = subprocess.run(
        ["docker", "run", "-d", "--rm", "--entrypoint", "bash",
         "-e", "PYDEVD_DISABLE_FILE_VALIDATION=1",
         "-v", f"{cache_root() / 'debugpy'}:/opt/smdebug-local/debugpy:ro",
         "-v", f"{PAYLOAD_DIR}:/opt/smdebug-local/boot:ro",
         "-v", f"{script.parent}:/bench:ro",
         *[a for port in PORTS.values() for a in ("-p", f"127.0.0.1::{port}")],
         image, "-c", command + " & wait"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    ports = {}
    for mode, port in PORTS.items():
        out = subprocess.run(
            ["docker", "port", container, str(port)], capture_output=True, text=True, check=True
        ).stdout
        ports[mode] = int(out.split()[0].rsplit(":", 1)[1])
    return container, ports


class Paused:
    """One debuggee, attached and stopped in frame()."""

    def __init__(self, port: int) -> None:
        self.debugger = Debugger(host="127.0.0.1", port=port, path_mappings=[], breakpoints={})
        self.debugger.attach(timeout=180)
        self.stop = self.debugger.next_stop(timeout=180)
        self.frame = next(f for f in self.stop.frames() if f["name"] == "frame")

    def variables(self, ref: int) -> dict[str, dict]:
        found = self.stop.conn.request("variables", {"variablesReference": ref})["variables"]
        return {v["name"]: v for v in found}

    def round(self) -> dict[str, float]:
        """One pass as VS Code makes it; seconds per step."""
        times = {}
        started = time.perf_counter()
        scopes = self.stop.conn.request("scopes", {"frameId": self.frame["id"]})["scopes"]
        local = self.variables(scopes[0]["variablesReference"])
        times["scopes + locals"] = time.perf_counter() - started
        started = time.perf_counter()
        self.variables(local["small"]["variablesReference"])
        times["expand [1, 2, 3]"] = time.perf_counter() - started
        for name in ("tensor", "array"):
            started = time.perf_counter()
            children = self.variables(local[name]["variablesReference"])
            times[f"expand {name}"] = time.perf_counter() - started
            if "[stats]" in children:
                started = time.perf_counter()
                self.variables(children["[stats]"]["variablesReference"])
                times[f"{name} [stats]"] = time.perf_counter() - started
        self.local, self.children = local, children
        return times

    def close(self) -> None:
        self.debugger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    image = os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE") or build.ensure("pytorch-training")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "debuggee.py")
        script.write_text(DEBUGGEE)
        os.chmod(tmp, 0o755)
        container, ports = start(image, script)
        try:
            paused = {mode: Paused(port) for mode, port in ports.items()}
            samples: dict[str, dict[str, list[float]]] = {m: {} for m in paused}
            for _ in range(rounds):
                for mode, debuggee in paused.items():
                    for step, seconds in debuggee.round().items():
                        samples[mode].setdefault(step, []).append(seconds)
            shown = {
                m: (p.local["tensor"]["value"], p.local["array"]["value"])
                for m, p in paused.items()
            }
            counts = {
                m: len(p.variables(p.local["tensor"]["variablesReference"]))
                for m, p in paused.items()
            }
            for debuggee in paused.values():
                debuggee.close()
        finally:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    print(f"values in Variables, {image}, medians of {rounds} rounds (ms):")
    print(f"  {'':18} {'plain':>8} {'ours':>8} {'ratio':>6}")
    for step in samples["values"]:
        ours = statistics.median(samples["values"][step]) * 1000
        plain_list = samples["plain"].get(step)
        if plain_list:
            plain = statistics.median(plain_list) * 1000
            print(f"  {step:18} {plain:8.1f} {ours:8.1f} {ours / plain:6.2f}")
        else:
            print(f"  {step:18} {'-':>8} {ours:8.1f}")
    for mode, (tensor, array) in shown.items():
        print(f"  {mode}: tensor = {tensor[:90]}")
        print(f"  {mode}: array = {array[:90]}")
        print(f"  {mode}: the tensor has {counts[mode]} children")


if __name__ == "__main__":
    main()

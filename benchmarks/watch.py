"""Watch-mode benchmarks, measured side by side in one run (these machines are noisy).

P1 edit of inference code -> the endpoint answers with the new code:
   `smdebug-local run --watch` vs plain local mode's delete_endpoint() + deploy() in a live
   Python process (two endpoints on two ports, rounds alternate). The edit changes
   transform_fn's body: watch mode puts it into the running worker (goal: ratio <= 0.05 and
   under 1 s). Each round also edits model_fn, which watch mode answers by reloading the
   worker (the fallback), timed from the save to a new worker answering.
P2 edit of training code -> the new training container has started, from the file write:
   `smdebug-local run --watch` vs starting `python driver.py` again by hand (from the
   keystroke that starts it). Goal: watch <= debounce (0.3 s) + 1.5 s.
P5 idle watcher on a 10,000-file tree: CPU seconds per minute and RSS, next to the same
   Python process with the same modules imported but no watcher.

Usage: .venv/bin/python benchmarks/watch.py [--rounds N] [--only p1,p2,p5] [--idle SECONDS]
Images: $SMDEBUG_LOCAL_TEST_TRAINING_IMAGE / _SERVING_IMAGE, else the locally built ones.
"""

from __future__ import annotations

import argparse
import io
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "images"), str(REPO / "tests" / "e2e")]

from smdebug_local.watch.filters import QUIET_SECONDS  # noqa: E402

import build  # noqa: E402
from conftest import Run  # noqa: E402

SAMPLE = np.random.default_rng(1).random((2, 1, 8, 8), dtype=np.float32)
ENV = {"SAGEMAKER_SUPPRESS_V2_WARNING": "1", "EXAMPLE_EPOCHS": "1", "EXAMPLE_WORKERS": "0"}
MARK = "    np.save(buffer, classes.numpy())"


def predict(port: int) -> np.ndarray | None:
    buffer = io.BytesIO()
    np.save(buffer, SAMPLE)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/invocations",
        data=buffer.getvalue(),
        method="POST",
        headers={"Content-Type": "application/x-npy", "Accept": "application/x-npy"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return np.load(io.BytesIO(response.read()))
    except OSError:
        return None


def set_offset(project: Path, offset: int) -> None:
    """Make transform_fn add ``offset`` to its answer (an edit of the inference code)."""
    path = project / "src" / "inference.py"
    lines = [ln for ln in path.read_text().splitlines() if "# bench offset" not in ln]
    at = lines.index(MARK)
    lines.insert(at, f"    classes = classes + {offset}  # bench offset")
    path.write_text("\n".join(lines) + "\n")


def set_model_fn_mark(project: Path, mark: int) -> None:
    """Change model_fn's body (a change the running worker cannot take: it reloads)."""
    path = project / "src" / "inference.py"
    lines = [ln for ln in path.read_text().splitlines() if "# bench model_fn" not in ln]
    at = lines.index("    return model.eval()")
    lines.insert(at, f"    model.bench = {mark}  # bench model_fn")
    path.write_text("\n".join(lines) + "\n")


RELOADED = re.compile(r"model_fn changed .*model-server workers reloaded \(\d+ started\)")


def until_answer(port: int, expected: np.ndarray, started: float, limit: float = 300) -> float:
    while time.monotonic() - started < limit:
        got = predict(port)
        if got is not None and np.array_equal(got, expected):
            return time.monotonic() - started
        time.sleep(0.05)
    raise SystemExit(f"port {port} never answered {expected.tolist()}")


REDEPLOY = textwrap.dedent('''
    """Plain local mode, the way to serve edited code today: delete the endpoint, deploy."""
    import sys
    from deploy import serving_model
    model = serving_model()
    model.sagemaker_session.config["local"]["serving_port"] = int(sys.argv[1])
    predictor = model.deploy(initial_instance_count=1, instance_type="local")
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        predictor.delete_model()
        predictor.delete_endpoint()
        predictor = model.deploy(initial_instance_count=1, instance_type="local")
        print("REDEPLOYED", flush=True)
    predictor.delete_model()
    predictor.delete_endpoint()
''')


def copy_project(tmp: str, name: str) -> Path:
    project = Path(tmp, name)
    shutil.copytree(
        REPO / "examples" / "quickstart",
        project,
        ignore=shutil.ignore_patterns("data", "output", "__pycache__"),
    )
    return project


def p1(rounds: int, env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fast, slow = copy_project(tmp, "watch"), copy_project(tmp, "redeploy")
        (slow / "redeploy.py").write_text(REDEPLOY)
        watch = Run(["--no-wait", "--watch", "serve.py"], fast, {**ENV, **env})
        plain = subprocess.Popen(
            [sys.executable, "redeploy.py", "8090"],
            cwd=slow,
            text=True,
            env={**os.environ, **ENV, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(ln) for ln in plain.stdout], daemon=True).start()

        def wait_line(word: str) -> None:
            while True:
                line = lines.get(timeout=600)
                if word in line:  # deploy() prints progress dots without a newline
                    return

        try:
            watch.wait_for(re.compile("still watching"), timeout=600)
            wait_line("READY")
            base = {8080: predict(8080), 8090: predict(8090)}
            hot, redeploy, reload = [], [], []
            for i in range(1, rounds + 1):
                set_offset(fast, i)
                hot.append(until_answer(8080, base[8080] + i, time.monotonic()))
                started = time.monotonic()
                set_model_fn_mark(fast, i)
                watch.wait_for(RELOADED, count=i, timeout=300)
                reload.append(until_answer(8080, base[8080] + i, started))
                set_offset(slow, i)
                started = time.monotonic()
                plain.stdin.write("go\n")
                plain.stdin.flush()
                redeploy.append(until_answer(8090, base[8090] + i, started))
                print(
                    f"P1 round {i}: in place {hot[-1]:.2f}s, worker reload (model_fn) "
                    f"{reload[-1]:.2f}s, delete_endpoint+deploy {redeploy[-1]:.2f}s",
                    flush=True,
                )
                wait_line("REDEPLOYED")
        finally:
            watch.proc.send_signal(signal.SIGINT)
            watch.finish(120)
            plain.stdin.write("quit\n")
            plain.stdin.close()
            plain.wait(120)
    h, w, r = statistics.median(hot), statistics.median(reload), statistics.median(redeploy)
    print(
        f"P1 edit -> new answer: transform_fn in place {h:.2f}s, delete_endpoint+deploy "
        f"{r:.2f}s, ratio {h / r:.3f} (goal <= 0.05, under 1 s); model_fn worker reload "
        f"{w:.2f}s, ratio {w / r:.3f}"
    )


def container_started(label: str, since: float, timeout: float = 300) -> float:
    """Seconds from ``since`` (time.time()) to the first start of a container labelled so."""
    import docker

    client = docker.from_env()
    events = client.events(
        decode=True,
        since=int(since) - 1,
        filters={"type": "container", "event": "start", "label": label},
    )
    deadline = time.time() + timeout
    for event in events:
        at = event["timeNano"] / 1e9
        if at >= since:
            events.close()
            return at - since
        if time.time() > deadline:
            break
    raise SystemExit("no training container started")


def p2(rounds: int, image: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "plain")
        shutil.copytree(REPO / "tests" / "e2e" / "projects" / "plain", project)
        env = {"TEST_IMAGE": image}
        run = Run(["--watch", "--no-wait", "driver.py"], project, env)
        done = re.compile(r"rerun \d+ of training job \S+ finished")
        try:
            run.wait_for(re.compile("still watching"), timeout=300)
            watch, manual = [], []
            train = project / "src" / "train.py"
            for i in range(1, rounds + 1):
                since = time.time()
                train.write_text(train.read_text() + f"# edit {i}\n")
                watch.append(container_started("com.docker.compose.service", since))
                run.wait_for(done, count=i, timeout=300)
                since = time.time()
                proc = subprocess.Popen(
                    [sys.executable, "driver.py"],
                    cwd=project,
                    env={**os.environ, **ENV, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                manual.append(container_started("com.docker.compose.service", since))
                proc.wait(300)
                print(
                    f"P2 round {i}: watch {watch[-1]:.2f}s, python driver.py {manual[-1]:.2f}s",
                    flush=True,
                )
        finally:
            run.proc.send_signal(signal.SIGINT)
            run.finish(120)
    w, m = statistics.median(watch), statistics.median(manual)
    print(
        f"P2 edit -> training container started: watch {w:.2f}s (goal <= "
        f"{QUIET_SECONDS + 1.5:.1f}s), rerunning the script {m:.2f}s, ratio {w / m:.2f}"
    )


IDLE = textwrap.dedent("""
    import sys, time, resource
    from smdebug_local.watch.watcher import FileWatcher
    root, idle, watch = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
    started = time.monotonic()
    if watch:
        w = FileWatcher(lambda files: None)
        w.start()
        w.watch(root)
    ready = time.monotonic() - started
    cpu0 = time.process_time()
    time.sleep(idle)
    cpu = time.process_time() - cpu0
    rss = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS")))
    print(f"{ready:.3f} {cpu * 60 / idle:.4f} {rss / 1024:.1f}")
""")


def p5(idle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "tree")
        for d in range(100):
            (root / f"pkg{d}").mkdir(parents=True)
            for f in range(100):
                (root / f"pkg{d}" / f"m{f}.py").write_text(f"X = {d * 100 + f}\n" * 20)
        results = {}
        procs = {
            name: subprocess.Popen(
                [sys.executable, "-c", IDLE, str(root), str(idle), flag],
                stdout=subprocess.PIPE,
                text=True,
            )
            for name, flag in (("watcher", "1"), ("bare", "0"))
        }  # side by side
        for name, proc in procs.items():
            out, _ = proc.communicate(timeout=idle + 120)
            results[name] = [float(v) for v in out.split()]
    (ready, cpu, rss), (_, cpu0, rss0) = results["watcher"], results["bare"]
    print(
        f"P5 idle watcher on 10,000 files: started in {ready:.2f}s, CPU {cpu:.3f}s/min "
        f"(bare {cpu0:.3f}), RSS {rss:.0f} MiB (bare {rss0:.0f} MiB, +{rss - rss0:.0f} MiB, "
        f"ratio {rss / rss0:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="p1,p2,p5")
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    import docker

    client = docker.from_env()
    before = {c.id for c in client.containers.list(all=True)}
    try:
        run(chosen, args)
    finally:
        # Plain local mode leaves its exited containers behind; this benchmark's go.
        for c in client.containers.list(all=True, filters={"status": "exited"}):
            if c.id not in before:
                c.remove(force=True)


def run(chosen: set[str], args: argparse.Namespace) -> None:
    if "p5" in chosen:
        p5(args.idle)
    if "p2" in chosen:
        p2(
            args.rounds,
            os.environ.get("SMDEBUG_LOCAL_TEST_PY39_IMAGE") or build.ensure("py39-training"),
        )
    if "p1" in chosen:
        p1(
            args.rounds,
            {
                "SMDEBUG_LOCAL_EXAMPLE_IMAGE": os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE")
                or build.ensure("pytorch-training"),
                "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": os.environ.get(
                    "SMDEBUG_LOCAL_TEST_SERVING_IMAGE"
                )
                or build.ensure("pytorch-inference"),
            },
        )


if __name__ == "__main__":
    main()

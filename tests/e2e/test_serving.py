"""Breakpoints in inference code: TorchServe workers and a bring-your-own gunicorn container.

The quick-start's deploy.py trains, deploys a local endpoint with the PyTorch inference
image (TorchServe spawns one Python worker per SAGEMAKER_MODEL_SERVER_WORKERS from its Java
frontend) and holds it until the test lets it predict and delete it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import WAITING, Run, copy_project, marker_line, our_containers
from dap import Debugger

pytestmark = pytest.mark.e2e

# How long the pause test holds a worker at a breakpoint (the issue asks for 3 minutes).
# How long model_fn and a request are held at a breakpoint: each just past the default
# limit it must outlast (TorchServe's 120 s model start and the SDK's 120 s wait for /ping;
# the model server's 60 s response timeout). One variable scales both.
PAUSE_SECONDS = float(os.environ.get("SMDEBUG_LOCAL_TEST_PAUSE_SECONDS", "130"))
REQUEST_PAUSE_SECONDS = PAUSE_SECONDS * 70 / 130
ENDPOINT = "http://127.0.0.1:8080/invocations"
READY = re.compile(r"endpoint ready after ([\d.]+)s")


def post_npy(array: np.ndarray, timeout: float = 600) -> tuple[int, np.ndarray]:
    buffer = io.BytesIO()
    np.save(buffer, array)
    request = urllib.request.Request(
        ENDPOINT,
        data=buffer.getvalue(),
        method="POST",
        headers={"Content-Type": "application/x-npy", "Accept": "application/x-npy"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, np.load(io.BytesIO(response.read()))


def post_csv(body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        ENDPOINT, data=body, method="POST", headers={"Content-Type": "text/csv"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.read()


class Post(threading.Thread):
    """A request in flight (it blocks while a worker is paused)."""

    def __init__(self, body, send=post_npy) -> None:
        super().__init__(daemon=True)
        self.body, self.send, self.result, self.error = body, send, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.send(self.body)
        except BaseException as exc:
            self.error = exc

    def outcome(self, timeout: float = 120):
        self.join(timeout)
        assert not self.is_alive(), "request did not complete"
        assert self.error is None, self.error
        return self.result


def attach(match, breakpoints: dict[Path, list[int]]) -> Debugger:
    debugger = Debugger(
        match["bind"],
        int(match["port"]),
        [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        {str(path): lines for path, lines in breakpoints.items()},
    )
    debugger.attach()
    return debugger


def serving_lines(run: Run, count: int):
    return [m for m in run.wait_for(WAITING, count=count + 1) if m["role"] == "serving"][:count]


@pytest.fixture
def deploy(quickstart, training_image, serving_image, tmp_path, start_run):
    """``deploy(*flags, workers=1, **env) -> Run`` of the quick-start's deploy.py.

    The endpoint stays up until ``finish`` touches the hold file.
    """

    def start(*flags: str, workers: int = 1, **env: str) -> Run:
        return start_run(
            [*flags, "deploy.py"],
            cwd=quickstart,
            env={
                "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
                "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": serving_image,
                "EXAMPLE_EPOCHS": "1",
                "EXAMPLE_WORKERS": "0",
                "EXAMPLE_HOLD_FILE": str(tmp_path / "hold"),
                "EXAMPLE_SERVING_WORKERS": str(workers),
                **env,
            },
        )

    return start


def finish(run: Run, debuggers: list[Debugger]) -> None:
    """Detach, let the driver predict and delete the endpoint, and check it did."""
    for debugger in debuggers:
        debugger.close()
    Path(run.env["EXAMPLE_HOLD_FILE"]).touch()
    assert run.finish(timeout=180) == 0, run.output
    assert run.saw("prediction: ["), run.output


def test_transform_fn_in_whichever_of_two_workers_takes_the_request(quickstart, deploy):
    inference = quickstart / "src" / "inference.py"
    line = marker_line(inference, "# transform_fn breakpoint")
    run = deploy("--no-wait", workers=2)
    workers = serving_lines(run, 2)
    assert len({m["port"] for m in workers}) == 2, "each worker has its own port"
    for m in workers:
        assert m["remote"] == "/opt/ml/model/code" and Path(m["local"]) == inference.parent
    run.wait_for(READY)
    debuggers = [attach(m, {inference: [line]}) for m in workers]

    # Two concurrent requests: each worker takes one and stops once.
    posts = [Post(np.full((3, 1, 8, 8), i, dtype=np.float32)) for i in range(2)]
    stops = [debuggers[0].next_stop(), debuggers[1].next_stop()]
    for stop in stops:
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (inference, line)
        assert stop.evaluate("tuple(inputs.shape)") == "(3, 1, 8, 8)"
        stop.resume()
    for post in posts:
        status, prediction = post.outcome()
        assert status == 200 and prediction.shape == (3,)
    for debugger in debuggers:
        assert debugger.stops.empty()  # each stopped exactly once
    finish(run, debuggers)


def test_predict_fn_of_an_input_predict_output_module_then_ctrl_c_removes_the_endpoint(
    quickstart, deploy
):
    """An input_fn/predict_fn/output_fn module stops in predict_fn; then the driver, its
    endpoint still up, is interrupted by Ctrl-C and leaves nothing behind, quickly."""
    module = quickstart / "src" / "inference_split.py"
    line = marker_line(module, "# predict_fn breakpoint")
    run = deploy("--no-wait", EXAMPLE_ENTRY_POINT=module.name)
    (worker,) = serving_lines(run, 1)
    run.wait_for(READY)
    debugger = attach(worker, {module: [line]})
    post = Post(np.zeros((4, 1, 8, 8), dtype=np.float32))
    stop = debugger.next_stop()
    assert (Path(stop.frames()[0]["source"]["path"]), stop.frames()[0]["line"]) == (module, line)
    assert stop.evaluate("tuple(inputs.shape)") == "(4, 1, 8, 8)"
    stop.resume()
    status, prediction = post.outcome()
    assert status == 200 and prediction.shape == (4,)
    debugger.close()

    assert our_containers()
    run.proc.send_signal(2)  # SIGINT, as Ctrl-C
    started = time.monotonic()
    assert run.finish(timeout=60) == 130, run.output
    elapsed = time.monotonic() - started
    assert not our_containers()
    print(f"run ended -> container gone: {elapsed:.2f}s")
    assert elapsed < 10, f"stopping took {elapsed:.1f}s"


def test_pausing_in_model_fn_and_in_a_request_does_not_kill_the_endpoint(quickstart, deploy):
    """--wait: model loading waits for a debugger; long pauses survive every timeout."""
    inference = quickstart / "src" / "inference.py"
    model_line = marker_line(inference, "# model_fn breakpoint")
    transform_line = marker_line(inference, "# transform_fn breakpoint")
    run = deploy("--wait")
    (training,) = run.wait_for(WAITING)
    attach(training, {})  # training waits too with --wait; let it run
    worker = serving_lines(run, 1)[0]
    assert "waiting for debugger" in worker.group(0)
    debugger = attach(worker, {inference: [model_line, transform_line]})

    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == model_line
    time.sleep(PAUSE_SECONDS)  # longer than TorchServe's startup and the SDK's 120 s
    stop.resume()
    run.wait_for(READY, timeout=120)

    post = Post(np.ones((1, 1, 8, 8), dtype=np.float32))
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == transform_line
    time.sleep(REQUEST_PAUSE_SECONDS)  # longer than the model server's 60 s response timeout
    stop.resume()
    status, prediction = post.outcome()
    assert status == 200 and prediction.shape == (1,)
    # The worker was never restarted: one worker process ever announced itself.
    assert len([m for m in run.wait_for(WAITING, count=2) if m["role"] == "serving"]) == 1
    assert sum("serving algo-1" in ln for ln in run.lines) == 2  # waiting + attached
    finish(run, [debugger])


@pytest.fixture
def byoc(tmp_path: Path, byoc_image: str):
    project = tmp_path / "byoc"
    copy_project("byoc", project)
    # The user's local copy of the code baked into the image under /opt/program.
    shutil.copytree(
        Path(__file__).parents[1] / "images" / "byoc-flask" / "program", project / "program"
    )
    return project


def test_byoc_train_program_and_flask_handler(byoc, byoc_image, tmp_path, start_run):
    program = byoc / "program"
    train_line = marker_line(program / "train", "# byoc train breakpoint")
    serve_line = marker_line(program / "predictor.py", "# byoc serve breakpoint")
    hold = tmp_path / "hold"
    run = start_run(
        ["--map", f"{program}=/opt/program", "driver.py"],
        cwd=byoc,
        env={"TEST_IMAGE": byoc_image, "TEST_HOLD_FILE": str(hold)},
    )
    (training,) = run.wait_for(WAITING)
    assert training["remote"] == "/opt/program" and Path(training["local"]) == program
    debugger = attach(training, {program / "train": [train_line]})
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == train_line
    assert stop.locals()["numbers"]["value"].startswith("[0.0, 1.0, 2.0")
    stop.resume()

    serving = next(m for m in run.wait_for(WAITING, count=2) if m["role"] == "serving")
    run.wait_for(re.compile("endpoint ready"))
    debugger = attach(serving, {program / "predictor.py": [serve_line]})
    debugger.wait_for_children(1)  # the gunicorn worker, forked before we attached
    post = Post(b"1,2", send=post_csv)
    stop = debugger.next_stop()
    assert (Path(stop.frames()[0]["source"]["path"]), stop.frames()[0]["line"]) == (
        program / "predictor.py",
        serve_line,
    )
    assert stop.locals()["numbers"]["value"] == "[1.0, 2.0]"
    stop.resume()
    assert post.outcome() == (200, b"46.0,47.0")
    debugger.close()
    hold.touch()
    assert run.finish(timeout=120) == 0, run.output


def test_batch_transform_stops_in_transform_fn_for_each_record(
    quickstart, training_image, serving_image, start_run
):
    """Local batch transform runs the serving container and POSTs each file to it as soon
    as the model is loaded: with --wait the worker holds model loading until the debugger
    is attached, so no record slips through before the breakpoints are set."""
    inference = quickstart / "src" / "inference.py"
    line = marker_line(inference, "# transform_fn breakpoint")
    run = start_run(
        ["--wait", "transform.py"],
        cwd=quickstart,
        env={
            "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
            "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": serving_image,
            "EXAMPLE_EPOCHS": "1",
            "EXAMPLE_WORKERS": "0",
        },
    )
    (training,) = run.wait_for(WAITING)
    attach(training, {})  # the training job waits too; it runs on
    (match,) = serving_lines(run, 1)
    assert "waiting for debugger" in next(
        ln for ln in run.lines if WAITING.search(ln) and "serving" in ln
    )
    debugger = attach(match, {inference: [line]})
    shapes = []
    for last in (False, True):  # two files, one request each (SingleRecord)
        stop = debugger.next_stop(timeout=300)
        assert (Path(stop.frames()[0]["source"]["path"]), stop.frames()[0]["line"]) == (
            inference,
            line,
        )
        shapes.append(stop.evaluate("tuple(inputs.shape)"))
        stop.resume(wait=not last)
    assert shapes == ["(3, 1, 8, 8)", "(3, 1, 8, 8)"]
    debugger.close()
    assert run.finish(timeout=180) == 0, run.output
    assert run.saw("transform a: [") and run.saw("transform b: ["), run.output
    assert not our_containers()

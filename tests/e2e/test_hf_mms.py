"""Hugging Face inference on the real Multi Model Server: breakpoints in both MMS workers.

The image (tests/images/hf-inference) runs the Hugging Face DLC's process tree: its
``dockerd-entrypoint.py serve`` runs sagemaker-huggingface-inference-toolkit's
``serving.main()``, which starts ``multi-model-server --start``; MMS's Java frontend starts
one ``python .../mms/model_service_worker.py``, which forks one process per frontend
connection -- one per model-server worker -- and each imports the user's inference.py from
/opt/ml/model/code. The driver (projects/hf_inference) deploys a ``HuggingFaceModel`` with
two workers and, when the test lets it, sends two requests at once.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from test_serving import READY, attach
from test_watch import STILL_WATCHING

from conftest import WAITING, copy_project, marker_line, our_containers
from dap import DapError, Debugger, Stop

pytestmark = pytest.mark.e2e

# How long the test holds both requests at the breakpoint: past the 60 s that proxies and
# servers most often default to. MMS's own default_response_timeout is read in minutes
# (runtimes/mms.py), and test_serving holds a TorchServe request past the SDK's 120 s.
HOLD_SECONDS = float(os.environ.get("SMDEBUG_LOCAL_TEST_PAUSE_SECONDS", "65"))
ANSWER = re.compile(r"answer (\w): (\{.*\}) after")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project("hf_inference", tmp_path / "hf_inference")


def stops_of(debuggers: list[Debugger], count: int, timeout: float = 120) -> list[Stop]:
    """The first ``count`` stops of any of ``debuggers`` (requests go to either worker)."""
    stops: list[Stop] = []
    deadline = time.monotonic() + timeout
    while len(stops) < count and time.monotonic() < deadline:
        for debugger in debuggers:
            try:
                stop = debugger.next_stop(timeout=0.5)
            except DapError:
                continue
            stops.append(stop)
    if len(stops) < count:
        raise AssertionError(f"{len(stops)} of {count} stops within {timeout}s")
    return stops


def mms_config(container: str) -> str:
    return subprocess.run(
        ["docker", "exec", container, "cat", "/etc/sagemaker-mms.properties"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_model_fn_and_two_concurrent_requests_stop_in_both_mms_workers(
    project, hf_image, tmp_path, start_run
):
    source = project / "code" / "inference.py"
    model_line = marker_line(source, "# hf model_fn breakpoint")
    predict_line = marker_line(source, "# hf predict_fn breakpoint")
    go = tmp_path / "go"
    run = start_run(
        ["--wait", "driver.py"],
        cwd=project,
        env={"TEST_IMAGE": hf_image, "TEST_GO_FILE": str(go)},
    )

    # One line per worker: the forked children of model_service_worker.py, numbered by port.
    workers = run.wait_for(WAITING, count=2, timeout=300)
    assert sorted(w["process"] for w in workers) == ["worker 1", "worker 2"], run.output
    for worker in workers:
        assert (worker["role"], worker["host"], worker["stack"]) == ("serving", "algo-1", "MMS")
        assert "waiting for debugger" in worker.group(0), worker.string
        # The user's code/ folder maps to where the toolkit imports it from.
        assert (Path(worker["local"]), worker["remote"]) == (source.parent, "/opt/ml/model/code")

    debuggers = []
    for worker in workers:
        debugger = attach(worker, {source: [model_line, predict_line]})
        debuggers.append(debugger)
        stop = debugger.next_stop()
        frame = stop.frames()[0]
        assert (Path(frame["source"]["path"]), frame["line"]) == (source, model_line), frame
        assert stop.locals()["model_dir"]["value"] == "'/opt/ml/model'"
        stop.resume()

    run.wait_for(READY, timeout=300)
    (container,) = [c for c in our_containers() if "algo-1" in c]
    # sagemaker-inference hands SAGEMAKER_MODEL_SERVER_TIMEOUT to MMS, which reads it in
    # minutes (ConfigManager.getDefaultResponseTimeoutSeconds: 60 * default_response_timeout).
    assert "default_response_timeout=3600\n" in mms_config(container)

    go.touch()
    stops = stops_of(debuggers, 2)
    held = {}
    for stop in stops:
        frame = stop.frames()[0]
        assert (Path(frame["source"]["path"]), frame["line"]) == (source, predict_line), frame
        held[int(stop.evaluate("os.getpid()"))] = json.loads(
            stop.evaluate("json.dumps(data['inputs'])").strip("'")
        )
    # Both requests are held at once, one in each worker.
    assert sorted(held.values()) == [[1, 2], [10]], held
    time.sleep(HOLD_SECONDS)
    assert not run.saw("answer "), "answered while the breakpoints held the requests"
    for stop in stops:
        stop.resume()
    with pytest.raises(AssertionError):  # each request stops once
        stops_of(debuggers, 1, timeout=3)

    answers = {m[1]: json.loads(m[2]) for m in run.wait_for(ANSWER, count=2, timeout=120)}
    assert {k: a["outputs"] for k, a in answers.items()} == {"a": [3, 6], "b": [30]}, answers
    assert {a["pid"]: a["outputs"] for a in answers.values()} == {
        pid: [3 * x for x in inputs] for pid, inputs in held.items()
    }, (answers, held)
    for debugger in debuggers:
        debugger.close()
    assert run.finish(timeout=180) == 0, run.output
    # No worker was restarted while paused: only the two workers ever started a debugger.
    assert len([m for m in map(WAITING.search, run.lines) if m]) == 2, run.output


def test_a_predict_fn_edit_is_live_in_both_mms_workers_and_a_model_fn_edit_restarts_it(
    project, hf_image, start_run
):
    """Watch mode on Multi Model Server: a saved edit of predict_fn's body goes into both
    running workers (the same processes answer, with the new code). An edit of model_fn
    needs the model loaded again; MMS 1.1.11 cannot start workers again once they were
    scaled to zero (plain MMS hangs too), so the endpoint's container restarts in place --
    the line says why -- and the next request runs the new code."""
    source = project / "code" / "inference.py"
    run = start_run(
        ["--no-wait", "--watch", "driver.py"],
        cwd=project,
        env={"TEST_IMAGE": hf_image, "TEST_KEEP_ENDPOINT": "1"},
    )
    run.wait_for(ANSWER, count=2, timeout=300)
    run.wait_for(STILL_WATCHING, timeout=60)
    (container,) = [c for c in our_containers() if "algo-1" in c]
    text = source.read_text()
    old = '    return {"outputs": [model["scale"] * x for x in inputs], "pid": os.getpid()}'
    assert old in text
    source.write_text(
        text.replace(old, old.replace('model["scale"] * x', 'model["scale"] * x + 1000'))
    )
    run.wait_for(
        re.compile(
            r"inference\.py changed: endpoint \S+: predict_fn applied in 2 running "
            r"process\(es\) \(no restart, the loaded model kept\)"
        ),
        timeout=60,
    )
    answer = _invoke()
    assert answer["outputs"] == [1003, 1006], answer
    assert len([line for line in run.lines if WAITING.search(line)]) == 2, (
        "no worker was started again: the edit ran in the running ones"
    )

    edit_model = "    return model\n"
    source.write_text(
        source.read_text().replace(edit_model, '    model["scale"] *= 10\n' + edit_model, 1)
    )
    run.wait_for(
        re.compile(
            r"inference\.py changed \(model_fn changed \(the model is loaded again\)\): "
            r"endpoint \S+: container restarted \(Multi Model Server cannot start workers "
            r"again once scaled to zero\) in [\d.]+s"
        ),
        timeout=120,
    )
    assert _invoke()["outputs"] == [1030, 1060]
    assert [c for c in our_containers() if "algo-1" in c] == [container]  # the same one
    run.proc.send_signal(signal.SIGINT)
    assert run.finish(timeout=120) == 130, run.output


def _invoke() -> dict:
    """The endpoint's answer to {"inputs": [1, 2]}, once it answers (a restarted server
    loads the model again)."""
    request = urllib.request.Request(
        "http://127.0.0.1:8080/invocations",
        data=json.dumps({"inputs": [1, 2]}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 120
    while True:
        try:
            with opener.open(request, timeout=60) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)

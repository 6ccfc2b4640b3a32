"""The TensorFlow containers: training on the real toolkit, serving through the Python
service of the TensorFlow Serving container.

The image (tests/images/tensorflow) runs the real sagemaker-tensorflow-training 20.5.0 toolkit
over tensorflow-cpu: script mode on one host, and on two hosts its ``parameter_server``
distribution (a ``tf.distribute.Server`` per host in the toolkit's own process, then the
script as ``master`` / ``worker N`` of TF_CONFIG) and ``multi_worker_mirrored_strategy`` (the
script as ``worker N``). Serving is the TensorFlow Serving container's layout with test-only
stand-ins for its own code and the C++ model server: ``serve`` -> model server, nginx,
gunicorn's gevent worker running ``python_service:app``, which loads the user's
inference.py from /opt/ml/model/code -- a copy the SDK repacked into the model archive.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
import time
from pathlib import Path

import pytest
from test_byoc_servers import assert_at
from test_serving import READY, attach

from conftest import WAITING, copy_project, marker_line

pytestmark = pytest.mark.e2e

ARTIFACT = re.compile(r"model artifact: file://(\S+)")
# How long a request is held at a breakpoint: past gunicorn's 30 s worker timeout and nginx's
# 60 s proxy_read_timeout, the two the TensorFlow Serving container sets.
HOLD_SECONDS = float(os.environ.get("SMDEBUG_LOCAL_TEST_PAUSE_SECONDS", "65"))
# How the lines name each distribution's two processes (TF_CONFIG's task; the one master
# has no index), and what their scripts compute.
DISTRIBUTIONS = {
    "parameter_server": ({"algo-1": "master", "algo-2": "worker 0"}, 12.0),
    "multi_worker_mirrored_strategy": ({"algo-1": "worker 0", "algo-2": "worker 1"}, 3.0),
}


def task_name(name: str) -> str:
    """The script's own name of its task (``master 0``) from the line's (``master``)."""
    return name if " " in name else f"{name} 0"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project("tensorflow", tmp_path / "tensorflow")


def saved_result(run) -> dict:
    (artifact,) = run.wait_for(ARTIFACT)
    with tarfile.open(artifact[1]) as tar:
        return json.load(tar.extractfile("result.json"))


def test_script_mode_stops_in_the_script(project, tensorflow_image, start_run):
    source = project / "src" / "train.py"
    line = marker_line(source, "# tf breakpoint")
    run = start_run(["driver.py", "train"], cwd=project, env={"TEST_IMAGE": tensorflow_image})
    (waiting,) = run.wait_for(WAITING, timeout=300)
    assert (waiting["role"], waiting["stack"], waiting["process"]) == (
        "training",
        "TensorFlow",
        None,
    ), waiting.string
    assert (Path(waiting["local"]), waiting["remote"]) == (source.parent, "/opt/ml/code")
    debugger = attach(waiting, {source: [line]})
    stop = debugger.next_stop(timeout=120)
    assert_at(stop, source, line)
    assert round(float(stop.evaluate("result"))) == 7
    stop.resume()
    debugger.close()
    assert run.finish(timeout=300) == 0, run.output
    assert round(saved_result(run)["result"]) == 7


@pytest.mark.parametrize("distribution", list(DISTRIBUTIONS))
def test_two_hosts_every_task_is_named_and_stops(
    distribution, project, tensorflow_image, start_run
):
    names, expected = DISTRIBUTIONS[distribution]
    source = project / "src" / "train.py"
    line = marker_line(source, "# tf breakpoint")
    run = start_run(
        ["driver.py", "train", distribution], cwd=project, env={"TEST_IMAGE": tensorflow_image}
    )
    waiting = run.wait_for(WAITING, count=2, timeout=300)
    assert {w["host"]: w["process"] for w in waiting} == names, run.output
    assert {w["stack"] for w in waiting} == {"TensorFlow"}
    if distribution == "parameter_server":  # each host's server is named, and why not debugged
        for host, ps in (("algo-1", 0), ("algo-2", 1)):
            run.wait_for(
                re.compile(
                    rf"smdebug-local: training {host} ps {ps} \(TensorFlow\) is the toolkit's "
                    rf"tf\.distribute\.Server beside training {host} {names[host]} \(TensorFlow\): "
                    r"no code of yours runs there, so it is not debugged"
                )
            )
    # Attach to both first: a multi-worker all-reduce needs both workers.
    debuggers = [attach(w, {source: [line]}) for w in waiting]
    stops = [debugger.next_stop(timeout=180) for debugger in debuggers]
    for match, stop in zip(waiting, stops):
        assert_at(stop, source, line)
        assert stop.evaluate("task_name") == repr(task_name(names[match["host"]]))
        assert float(stop.evaluate("result")) == expected
    for stop, debugger in zip(stops, debuggers):
        stop.resume()
        debugger.close()
    assert run.finish(timeout=300) == 0, run.output
    assert saved_result(run) == {"task": task_name(names["algo-1"]), "result": expected}


def test_serving_inference_py_through_the_python_service(
    project, tensorflow_image, local_s3, tmp_path, start_run
):
    """TensorFlowModel repacks code/ into the model archive and mounts no code folder: the
    user's folder is found by content and mounted over the archive's copy; the request is
    held past both timeouts and answered."""
    source = project / "code" / "inference.py"
    input_line = marker_line(source, "# tfs input breakpoint")
    output_line = marker_line(source, "# tfs output breakpoint")
    go = tmp_path / "go"
    run = start_run(
        ["driver.py", "deploy"],
        cwd=project,
        env={"TEST_IMAGE": tensorflow_image, "TEST_GO_FILE": str(go), **local_s3},
    )
    (waiting,) = run.wait_for(WAITING, timeout=300)
    assert (waiting["role"], waiting["stack"]) == ("serving", "TensorFlow Serving"), waiting.string
    assert (Path(waiting["local"]), waiting["remote"]) == (source.parent, "/opt/ml/model/code")
    run.wait_for(READY, timeout=120)
    # /sagemaker is the container's own folder, not a program of the user's to --map.
    assert not run.saw("--map"), run.output
    debugger = attach(waiting, {source: [input_line, output_line]})
    debugger.wait_for_children(1)  # the gevent worker gunicorn forked
    go.touch()
    stop = debugger.next_stop(timeout=60)
    assert_at(stop, source, input_line)
    assert stop.evaluate("numbers") == "[1.0, 2.0, 3.0]"
    time.sleep(HOLD_SECONDS)
    assert not run.saw("prediction:"), run.output
    stop.resume()
    stop = debugger.next_stop(timeout=60)
    assert_at(stop, source, output_line)
    assert stop.evaluate("response.status_code") == "200"
    stop.resume(wait=False)  # the answer ends the driver, which removes the container
    run.wait_for(re.compile(r"prediction: \{'predictions': \[2\.5, 5\.0, 7\.5\]\}"), timeout=60)
    debugger.close()
    assert run.finish(timeout=120) == 0, run.output

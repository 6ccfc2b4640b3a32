"""The scikit-learn and XGBoost containers' stack (sagemaker-containers 2.8): script-mode
training of both frameworks, and scikit-learn serving (nginx + gunicorn's gevent workers)
stopping in the user's predict_fn.

The image (tests/images/sklearn-containers) holds the real sagemaker-containers,
sagemaker-training, scikit-learn and xgboost; only the two framework packages, which are not
on PyPI, are test-only stand-ins reproducing what they make the container run. One training
run covers both frameworks (scikit-learn: ``python train.py``; XGBoost: ``pip install .`` of
the code, then ``python -m train``), so one image start serves both checks.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest
from test_byoc_servers import assert_at
from test_serving import READY, attach

from conftest import WAITING, copy_project, marker_line

pytestmark = pytest.mark.e2e

ARTIFACT = re.compile(r"(sklearn|xgboost) model artifact: file://(\S+)")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project("sagemaker_containers", tmp_path / "sagemaker_containers")


def test_sklearn_and_xgboost_script_mode_training_stop_in_the_script(
    project, sklearn_image, start_run
):
    sklearn_train = project / "sklearn_src" / "train.py"
    xgboost_train = project / "xgboost_src" / "train.py"
    run = start_run(["driver.py", "train"], cwd=project, env={"TEST_IMAGE": sklearn_image})

    (sklearn,) = run.wait_for(WAITING)
    assert (sklearn["role"], sklearn["stack"]) == ("training", "scikit-learn"), sklearn.string
    assert (Path(sklearn["local"]), sklearn["remote"]) == (sklearn_train.parent, "/opt/ml/code")
    line = marker_line(sklearn_train, "# sklearn train breakpoint")
    debugger = attach(sklearn, {sklearn_train: [line]})
    stop = debugger.next_stop()
    assert_at(stop, sklearn_train, line)
    assert stop.locals()["args"]["value"] == "Namespace(fit_intercept=1)"
    stop.resume()
    debugger.close()

    # XGBoost: the container pip-installs the code and runs `python -m train`.
    xgboost = run.wait_for(WAITING, count=2, timeout=300)[1]
    assert (xgboost["role"], xgboost["stack"]) == ("training", "XGBoost"), xgboost.string
    assert Path(xgboost["local"]) == xgboost_train.parent, xgboost.string
    line = marker_line(xgboost_train, "# xgboost train breakpoint")
    debugger = attach(xgboost, {xgboost_train: [line]})
    stop = debugger.next_stop()
    assert_at(stop, xgboost_train, line)
    assert stop.locals()["args"]["value"] == "Namespace(num_round=3)"
    stop.resume()
    debugger.close()

    assert run.finish(timeout=300) == 0, run.output
    artifacts = {m[1]: Path(m[2]) for m in run.wait_for(ARTIFACT, count=2)}
    with tarfile.open(artifacts["sklearn"]) as tar:
        saved = json.load(tar.extractfile("model.json"))
    assert round(saved["coef"][0], 6) == 2.0 and round(saved["intercept"], 6) == 1.0, saved
    with tarfile.open(artifacts["xgboost"]) as tar:
        assert "xgboost-model" in tar.getnames()
    assert run.saw("boosted 3 rounds"), run.output


def test_sklearn_serving_stops_in_predict_fn_in_a_gevent_worker(
    project, sklearn_image, tmp_path, start_run
):
    """``serve``: pip install . of the code, nginx, gunicorn -k gevent with 2 workers, each
    importing the user's module from /opt/ml/code (gunicorn's --pythonpath puts it ahead of
    the installed copy) on its first request. A worker's first request also runs
    ``nvidia-smi`` (sagemaker-containers' ServingEnv): a subprocess forked by a
    gevent-patched worker, whose child used to hang before its exec (the payload's fork hook
    started a thread through gevent's threading), so no request was ever answered."""
    inference = project / "sklearn_src" / "inference.py"
    line = marker_line(inference, "# sklearn predict_fn breakpoint")
    go = tmp_path / "go"
    run = start_run(
        ["driver.py", "deploy"],
        cwd=project,
        env={"TEST_IMAGE": sklearn_image, "TEST_GO_FILE": str(go)},
    )
    (serving,) = run.wait_for(WAITING)
    assert (serving["role"], serving["stack"]) == ("serving", "scikit-learn"), serving.string
    # The folder the workers import from is the mapping the line names (and IDEs use).
    assert (Path(serving["local"]), serving["remote"]) == (inference.parent, "/opt/ml/code")
    run.wait_for(READY, timeout=120)
    debugger = attach(serving, {inference: [line]})
    debugger.wait_for_children(2)  # gunicorn's gevent workers, forked before we attached
    go.touch()
    stop = debugger.next_stop(timeout=60)
    assert_at(stop, inference, line)
    assert stop.evaluate("features.ravel().tolist()") == "[1.0, 2.0, 3.0]"
    # The last resume: debugpy answers "continue" once the thread runs again (~45 ms here),
    # by which time the answered driver may already have deleted the endpoint.
    stop.resume(wait=False)
    run.wait_for(re.compile(r"prediction: \[3\.0, 5\.0, 7\.0\]"), timeout=60)
    debugger.close()
    assert run.finish(timeout=120) == 0, run.output

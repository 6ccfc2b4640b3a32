"""export-compose's pure parts: volumes, the service, the header guard."""

from __future__ import annotations

import pytest
import yaml

from smdebug_local.errors import SmdebugError
from smdebug_local.export import (
    Captured,
    check_writable,
    document,
    materialize,
    plan_volumes,
    service,
)


def test_temporary_folders_are_copied_or_replaced_and_user_folders_kept(tmp_path):
    work = tmp_path / "sdk-tmp"
    (work / "algo-1" / "input" / "config").mkdir(parents=True)
    (work / "algo-1" / "input" / "config" / "hyperparameters.json").write_text('{"scale": "3"}')
    (work / "s3-channel").mkdir()
    (work / "s3-channel" / "part-0").write_text("x")
    export = tmp_path / "export"
    plan = plan_volumes(
        [
            f"{work}/algo-1/input:/opt/ml/input",
            f"{work}/algo-1/output:/opt/ml/output",
            f"{work}/model:/opt/ml/model",
            "/home/me/src:/opt/ml/code",
            "/home/me/data:/opt/ml/input/data/training",
            f"{work}/s3-channel:/opt/ml/input/data/test",
        ],
        str(work),
        export,
    )
    assert (export / "opt_ml_input").exists() is False  # planning touches nothing
    materialize(plan)
    assert plan.volumes == [
        f"{export}/opt_ml_input:/opt/ml/input",
        f"{export}/opt_ml_output:/opt/ml/output",
        f"{export}/opt_ml_model:/opt/ml/model",
        "/home/me/src:/opt/ml/code",
        "/home/me/data:/opt/ml/input/data/training",
        f"{export}/opt_ml_input_data_test:/opt/ml/input/data/test",
    ]
    assert (
        export / "opt_ml_input" / "config" / "hyperparameters.json"
    ).read_text() == '{"scale": "3"}'
    assert (export / "opt_ml_input_data_test" / "part-0").is_file()


def test_the_service_runs_the_entry_point_as_the_toolkit_does():
    captured = Captured(
        job="job-1",
        host="algo-1-abcde",
        image="img:1",
        service={
            "environment": ["AWS_REGION=us-east-1", "TRAINING_JOB_NAME=job-1"],
            "networks": {"sagemaker-local": {"aliases": ["algo-1-abcde"]}},
            "deploy": {"resources": {}},
        },
        entry_point=None,
        volumes=["/src:/opt/ml/code"],
    )
    sm = {
        "SM_USER_ARGS": '["--scale","3"]',
        "SM_USER_ENTRY_POINT": "train.py",
        "SM_TRAINING_ENV": '{"a": "$HOME"}',
    }
    svc = service(captured, sm, "/opt/venv/bin/python3")
    assert svc["command"] == ["/opt/venv/bin/python3", "train.py", "--scale", "3"]
    assert svc["entrypoint"] == ["/usr/bin/env"] and svc["working_dir"] == "/opt/ml/code"
    assert svc["hostname"] == "algo-1-abcde"
    assert svc["environment"]["TRAINING_JOB_NAME"] == "job-1"
    assert svc["environment"]["SM_TRAINING_ENV"] == '{"a": "$$HOME"}'  # compose escaping
    assert "networks" not in svc and svc["deploy"] == {"resources": {}}
    text = document(captured, svc)
    assert yaml.safe_load(text)["services"]["training"]["image"] == "img:1"


def test_only_files_smdebug_local_wrote_are_overwritten(tmp_path):
    ours = tmp_path / "ours.yaml"
    captured = Captured(job="j", host="algo-1", image="i", service={}, entry_point=None)
    ours.write_text(document(captured, {"image": "i"}))
    check_writable(ours)
    check_writable(tmp_path / "new.yaml")
    theirs = tmp_path / "theirs.yaml"
    theirs.write_text("services: {}\n")
    with pytest.raises(SmdebugError, match="was not written by smdebug-local"):
        check_writable(theirs)

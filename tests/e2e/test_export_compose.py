"""`smdebug-local export-compose`: the training container's environment as a compose service.

The exported service is what PyCharm's Docker Compose interpreter would run. `docker
compose run` of it must execute the entry point with the same SM_* values and channel files
as the local-mode run of the same job.
"""

from __future__ import annotations

import json
import subprocess
import tarfile

import pytest
import yaml

from smdebug_local.engine import compose_command

from conftest import SMDEBUG

pytestmark = pytest.mark.e2e


def test_compose_run_of_the_export_sees_what_local_mode_gave_the_job(plain, py39_image):
    out = subprocess.run(
        [SMDEBUG, "export-compose", "-o", "sm.yaml", "driver.py"],
        cwd=plain,
        env={
            **__import__("os").environ,
            "TEST_IMAGE": py39_image,
            "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "smdebug-local: wrote" in out.stderr
    with tarfile.open(plain / "output" / "model.tar.gz") as tar:
        local_mode = json.load(tar.extractfile("result.json"))

    text = (plain / "sm.yaml").read_text()
    assert text.startswith("# Written by smdebug-local export-compose")
    service = yaml.safe_load(text)["services"]["training"]
    assert service["image"] == py39_image
    assert f"{plain / 'src'}:/opt/ml/code" in service["volumes"]

    run = subprocess.run(
        [*compose_command(), "-f", "sm.yaml", "run", "--rm", "training"],
        cwd=plain,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    exported = json.loads(
        next((plain / ".smdebug-local" / "export").glob("opt_ml_model/result.json")).read_text()
    )
    assert exported["total"] == local_mode["total"] == 135
    assert exported["argv"] == local_mode["argv"] == ["train.py", "--scale", "3"]
    assert exported["channel_files"] == local_mode["channel_files"] == ["numbers.txt"]
    assert exported["sm"] == local_mode["sm"]
    assert len(exported["sm"]) > 20  # SM_TRAINING_ENV, SM_HP_SCALE, SM_CHANNEL_TRAINING, ...


def test_a_file_not_written_by_smdebug_local_is_never_overwritten(plain):
    (plain / "docker-compose.smdebug-local.yaml").write_text("services: {}\n")
    out = subprocess.run(
        [SMDEBUG, "export-compose", "driver.py"],
        cwd=plain,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2  # SmdebugError: bad input
    assert out.stderr.strip().splitlines() == [
        f"smdebug-local: error: {plain / 'docker-compose.smdebug-local.yaml'} exists and was not "
        "written by smdebug-local; choose another file (export-compose -o), or rename or move "
        "yours"
    ]
    assert (plain / "docker-compose.smdebug-local.yaml").read_text() == "services: {}\n"

"""Unit-test fixtures: compose dicts produced by the real SageMaker SDK, without Docker."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")


@pytest.fixture
def sdk_container(tmp_path):
    """A real ``_SageMakerContainer`` for a 2-host job, built without probing for compose."""
    from sagemaker.local import image
    from sagemaker.local.local_session import LocalSession

    container = object.__new__(image._SageMakerContainer)
    container.compose_cmd_prefix = ["docker-compose"]
    container.sagemaker_session = LocalSession()
    container.instance_type = "local"
    container.instance_count = 2
    container.image = "example/pytorch-training:1"
    container.container_entrypoint = None
    container.container_arguments = None
    container.is_studio = False
    container.hosts = ["algo-1-ab1cd", "algo-2-ab1cd"]
    container.container_root = str(tmp_path / "root")
    container.container = None
    os.makedirs(container.container_root)
    return container


@pytest.fixture
def sdk_training_compose(sdk_container, tmp_path):
    """What local mode generates for a 2-host training job with local code and one channel."""
    from sagemaker.local.image import _Volume

    src = tmp_path / "src"
    src.mkdir()
    volumes = [
        _Volume(str(tmp_path / "data"), channel="training"),
        _Volume(str(src), "/opt/ml/code"),
        _Volume(str(tmp_path / "root" / "shared"), "/opt/ml/shared"),
    ]
    env = {"AWS_REGION": "us-east-1", "TRAINING_JOB_NAME": "job-1", "PYTHONPATH": "/extra"}
    return sdk_container._generate_compose_file(
        "train", additional_volumes=volumes, additional_env_vars=env
    )

"""Compose detection mirrors the SDK's (so our verdict matches what local mode will run).

Fake `docker`/`docker-compose` executables on PATH stand in for the real CLIs: this tests
the decision logic only; the e2e suite runs the real docker-compose.
"""

from __future__ import annotations

import os
import stat

import pytest

from smdebug_local.engine import compose_command
from smdebug_local.errors import SmdebugError


def fake(bin_dir, name: str, output: str, code: int = 0) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\necho '{output}'\nexit {code}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    return tmp_path


def test_compose_v2_plugin(bin_dir):
    fake(bin_dir, "docker", "Docker Compose version v2.29.7")
    assert compose_command() == ["docker", "compose"]


def test_compose_v1_when_no_plugin(bin_dir):
    fake(bin_dir, "docker", "docker: unknown command: docker compose", code=1)
    fake(bin_dir, "docker-compose", "docker-compose version 1.29.2")
    assert compose_command() == ["docker-compose"]


def test_a_plugin_the_sdk_does_not_recognise_falls_back_like_the_sdk(bin_dir):
    # SDK 2.257 looks for the literal "v2"; Compose v5 is missed (sagemaker-python-sdk #5739).
    fake(bin_dir, "docker", "Docker Compose version v5.0.1")
    fake(bin_dir, "docker-compose", "docker-compose version 1.29.2")
    assert compose_command() == ["docker-compose"]


def test_no_compose_at_all(bin_dir):
    assert os.listdir(bin_dir) == []
    with pytest.raises(SmdebugError, match="Docker Compose is not installed"):
        compose_command()


def test_an_unrecognised_plugin_alone_is_named(bin_dir):
    fake(bin_dir, "docker", "Docker Compose version v5.0.1")
    with pytest.raises(SmdebugError, match=r"does not recognise .*v5.0.1.*docker-compose"):
        compose_command()

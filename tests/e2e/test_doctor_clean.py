"""`smdebug-local doctor` and `clean` against the real engine."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from smdebug_local.compose import LABEL_HOST, LABEL_PID, LABEL_RUN

from conftest import SMDEBUG

pytestmark = pytest.mark.e2e


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SMDEBUG, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_doctor_passes_here_and_checks_an_image(py39_image):
    result = cli("doctor", "--port", "5699", "--image", py39_image)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # No VS Code command on this machine's PATH: the optional extension check does not apply.
    (extension,) = [ln for ln in lines if "vscode extension" in ln]
    assert extension.split()[0] == "SKIP" and "no VS Code command on PATH" in extension
    assert [ln.split()[0] for ln in lines if ln != extension] == ["PASS"] * 9
    assert any("has Python 3.9" in ln for ln in lines)
    (stack,) = [ln for ln in lines if "image stack" in ln]
    assert "training: no stack named by the image; the entry point decides" in stack
    (gateway,) = [ln for ln in lines if "host-gateway" in ln]
    assert "host.docker.internal -> 172." in gateway


def test_doctor_reports_each_failure_with_its_fix_and_exits_1():
    result = cli("doctor", "--json", "--image", "whatever", env={"DOCKER_HOST": "unix:///nope"})
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["docker engine"]["status"] == "FAIL"
    assert "start Docker" in checks["docker engine"]["fix"]
    assert checks["image python"]["status"] == "SKIP"
    assert checks["debug port"]["status"] == "PASS"


def test_doctor_names_an_image_without_python(docker_engine):
    import build

    image = build.ensure("no-python")
    result = cli("doctor", "--image", image)
    assert result.returncode == 1
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("FAIL")]
    assert (
        "has no Python interpreter (python3/python not found) -- fix: smdebug-local debugs "
        "Python entry points: use an image with Python 3.8 or newer"
    ) in line
    # The probe's throw-away containers are gone even though they could not start.
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"ancestor={image}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert left == []


def _labelled(name: str, pid: str) -> None:
    import build

    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--label",
            f"{LABEL_RUN}=t",
            "--label",
            f"{LABEL_PID}={pid}",
            "--label",
            f"{LABEL_HOST}={socket.gethostname()}",
            build.ensure_base("bookworm"),
            "sleep",
            "300",
        ],
        check=True,
        capture_output=True,
    )


def test_clean_removes_only_leftovers_of_dead_runs(docker_engine):
    dead = subprocess.Popen(["true"])
    dead.wait()
    _labelled("smdebug-test-leftover", str(dead.pid))
    _labelled("smdebug-test-live", str(os.getpid()))
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            "smdebug-test-foreign",
            __import__("build").ensure_base("bookworm"),
            "sleep",
            "300",
        ],
        check=True,
        capture_output=True,
    )
    try:
        dry = cli("clean", "--dry-run")
        assert "would remove container smdebug-test-leftover" in dry.stdout
        assert "smdebug-test-live" not in dry.stdout and "foreign" not in dry.stdout
        names = subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
        ).stdout.split()
        assert "smdebug-test-leftover" in names  # dry run removed nothing
        done = cli("clean")
        assert done.returncode == 0 and "removed container smdebug-test-leftover" in done.stdout
        names = subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True
        ).stdout.split()
        assert "smdebug-test-leftover" not in names
        assert {"smdebug-test-live", "smdebug-test-foreign"} <= set(names)
    finally:
        subprocess.run(
            [
                "docker",
                "rm",
                "-f",
                "smdebug-test-leftover",
                "smdebug-test-live",
                "smdebug-test-foreign",
            ],
            capture_output=True,
        )

"""Bad input: one clear line naming the problem and the fix, non-zero exit, nothing lost."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SMDEBUG, Run, build_wheel, copy_project

pytestmark = pytest.mark.e2e

DRIVER = "import sys\nprint('driver ran')\n"


def smdebug(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [SMDEBUG, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "driver.py").write_text(DRIVER)
    return tmp_path


def assert_one_error_line(result, *needles: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("smdebug-local: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "driver ran" not in result.stdout


@pytest.mark.parametrize(
    "args, env, needles",
    [
        (["run", "missing.py"], {}, ["'missing.py' not found", "driver script"]),
        (["run", "--port", "70000", "driver.py"], {}, ["70000 is out of range", "1-65535"]),
        (["run", "--bind", "everywhere", "driver.py"], {}, ["not an IP address", "127.0.0.1"]),
        (
            ["run", "driver.py"],
            {"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
            ["cannot reach the Docker engine", "start Docker"],
        ),
        (
            ["run", "driver.py"],
            {"PATH": "/nonexistent"},
            ["Docker Compose is not installed", "install it"],
        ),
        (
            ["run", "--map", "nowhere=/opt/program", "driver.py"],
            {},
            ["'nowhere' is not a directory"],
        ),
        (["run", "--map", "relative", "driver.py"], {}, ["is not LOCAL=REMOTE"]),
        (["init", "vscode", "--script", "missing.py"], {}, ["'missing.py' not found"]),
    ],
    ids=[
        "script-missing",
        "port-out-of-range",
        "bind-not-an-address",
        "docker-down",
        "compose-missing",
        "map-not-a-directory",
        "map-malformed",
        "init-script-missing",
    ],
)
def test_bad_input(workspace, args, env, needles):
    before = snapshot(workspace)
    assert_one_error_line(smdebug(*args, cwd=workspace, env=env), *needles)
    assert snapshot(workspace) == before


def test_requested_port_taken(workspace):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = smdebug("run", "--port", str(port), "driver.py", cwd=workspace)
    assert_one_error_line(result, f"debug port {port} on 127.0.0.1 is already in use", "--port")


def test_image_without_python(tmp_path):
    import build

    project = tmp_path / "plain"
    copy_project("plain", project)
    image = build.ensure("no-python")
    source = snapshot(project / "src")
    run = Run(["driver.py"], cwd=project, env={"TEST_IMAGE": image})
    assert run.finish(timeout=120) == 1
    ours = [ln for ln in run.lines if ln.startswith("smdebug-local: error: image")]
    assert ours == [
        f"smdebug-local: error: image {image} has no Python interpreter (python3/python "
        "not found); smdebug-local debugs Python entry points: use an image with "
        "Python 3.8 or newer"
    ], run.output
    assert snapshot(project / "src") == source


def test_script_exit_code_and_traceback_are_the_scripts_own(workspace, training_image):
    (workspace / "driver.py").write_text("import sys\nprint('driver ran')\nsys.exit(3)\n")
    assert smdebug("run", "driver.py", cwd=workspace).returncode == 3
    (workspace / "driver.py").write_text("def f():\n    raise KeyError('k')\nf()\n")
    result = smdebug("run", "driver.py", cwd=workspace)
    plain = subprocess.run(
        [sys.executable, "driver.py"], cwd=workspace, capture_output=True, text=True
    )
    assert result.returncode == plain.returncode == 1
    # The script's own traceback, then one error line an IDE's problem matcher reads.
    traceback, last = result.stderr.rstrip("\n").rsplit("\n", 1)
    assert (traceback + "\n").endswith(plain.stderr), result.stderr
    assert last == (
        "smdebug-local: error: driver.py failed (KeyError: 'k'); its output above says why; "
        "fix it and run again"
    )
    (workspace / "driver.py").write_text("import sys\nprint(sys.argv)\nif True print(1)\n")
    result = smdebug("run", "driver.py", cwd=workspace)
    plain = subprocess.run(
        [sys.executable, "driver.py"], cwd=workspace, capture_output=True, text=True
    )
    assert result.returncode == plain.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2] == plain.stderr.strip().splitlines()[-1]
    assert lines[-1].startswith("smdebug-local: error: driver.py failed (SyntaxError, line 3)")
    (workspace / "driver.py").write_text("import sys\nprint(sys.argv)\n")
    result = smdebug("run", "driver.py", "--epochs", "1", cwd=workspace)
    assert result.stdout.strip().splitlines()[-1] == "['driver.py', '--epochs', '1']"


def test_image_not_on_this_machine(plain, start_run):
    run = start_run(
        ["driver.py"], cwd=plain, env={"TEST_IMAGE": "smdebug-local-test/does-not-exist:1"}
    )
    assert run.finish(timeout=180) == 1, run.output
    ours = [ln for ln in run.lines if ln.startswith("smdebug-local: error: image")]
    assert ours == [
        "smdebug-local: error: image smdebug-local-test/does-not-exist:1 is not on this "
        "machine and could not be pulled; build it or `docker pull "
        "smdebug-local-test/does-not-exist:1`, then run again"
    ], run.output


def test_sagemaker_sdk_not_installed(workspace, tmp_path):
    import venv

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Everything smdebug-local needs before it looks for the SDK -- and no sagemaker.
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "click", "docker", "pyyaml"], check=True
    )
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            str(build_wheel(tmp_path / "dist")),
        ],
        check=True,
    )
    result = subprocess.run(
        [str(env_dir / "bin" / "smdebug-local"), "run", "driver.py"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_error_line(result, "SageMaker Python SDK is not installed", "pip install")


def test_unparsable_launch_json_is_left_alone(workspace):
    (workspace / "src").mkdir()
    (workspace / ".vscode").mkdir()
    broken = '{\n  // mine\n  "configurations": [\n'
    (workspace / ".vscode" / "launch.json").write_text(broken)
    before = snapshot(workspace)
    result = smdebug("init", "vscode", "--script", "driver.py", cwd=workspace)
    assert_one_error_line(result, "launch.json is not valid JSON with comments", "not changed")
    assert snapshot(workspace) == before


def test_read_only_workspace(workspace):
    (workspace / "src").mkdir()
    before = snapshot(workspace)
    mounted = subprocess.run(
        f"mount --bind {workspace} {workspace} && mount -o remount,bind,ro {workspace}",
        shell=True,
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        pytest.fail(f"this test needs root to make a read-only bind mount: {mounted.stderr}")
    try:
        result = smdebug("init", "vscode", "--script", "driver.py", cwd=workspace)
    finally:
        subprocess.run(["umount", str(workspace)], check=True)
    assert_one_error_line(result, "cannot write to", "Read-only file system", "permissions")
    assert snapshot(workspace) == before


def test_init_vscode_listen_host_not_an_ip(workspace):
    (workspace / "src").mkdir()
    before = snapshot(workspace)
    result = smdebug(
        "init",
        "vscode",
        "--script",
        "driver.py",
        "--mode",
        "connect",
        "--listen-host",
        "nope",
        cwd=workspace,
    )
    assert_one_error_line(result, "--listen-host 'nope' is not an IP address", "172.17.0.1")
    assert snapshot(workspace) == before

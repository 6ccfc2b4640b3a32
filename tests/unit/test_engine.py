"""Compose detection mirrors the SDK's (so our verdict matches what local mode will run).

Fake `docker`/`docker-compose` executables on PATH stand in for the real CLIs: this tests
the decision logic only; the e2e suite runs the real docker-compose.
"""

from __future__ import annotations

import os
import stat

import pytest

from smdebug_local.engine import STALE_PID_FILES, Engine, compose_command
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


def test_the_users_own_docker_child_is_never_terminated(tmp_path):
    """The script runs in-process: a `docker` child of its own (here a `docker` that only
    sleeps) survives the session's clean-up of compose processes."""
    import subprocess
    import time

    from smdebug_local.engine import await_compose_children

    fake = tmp_path / "docker"
    fake.symlink_to("/bin/sleep")
    child = subprocess.Popen([str(fake), "30"])
    try:
        time.sleep(0.2)
        await_compose_children(timeout=0.3)
        assert child.poll() is None, "the user's docker process was terminated"
    finally:
        child.kill()
        child.wait()


def test_a_compose_child_still_running_is_ended(tmp_path):
    import subprocess
    import time

    from smdebug_local.engine import await_compose_children

    fake = tmp_path / "docker-compose"
    fake.symlink_to("/bin/sleep")
    child = subprocess.Popen([str(fake), "30"])
    time.sleep(0.2)
    await_compose_children(timeout=0.3)
    assert child.poll() is not None


def test_only_compose_on_the_sessions_own_files_is_ended(tmp_path):
    """An endpoint deployed before enable() has a compose of its own: a session's clean-up
    leaves it alone."""
    import subprocess
    import sys
    import time

    from smdebug_local.engine import await_compose_children

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    # A process whose command line reads `docker-compose -c ... -f ROOT/docker-compose.yaml up`.
    script = (
        'exec -a docker-compose "$0" -c "import time; time.sleep(30)" '
        '-f "$1/docker-compose.yaml" up'
    )
    started = [
        subprocess.Popen(["bash", "-c", script, sys.executable, str(root)])
        for root in (ours, theirs)
    ]
    try:
        time.sleep(0.3)
        await_compose_children(frozenset({str(ours)}), timeout=0.3)
        time.sleep(0.1)
        assert [p.poll() is None for p in started] == [False, True]
    finally:
        for p in started:
            p.kill()
            p.wait()


def test_the_bridge_gateway_is_the_subnets_first_address_when_docker_lists_none():
    """dockerd that adopted an existing docker0 lists only the subnet (seen on this machine)."""
    from smdebug_local.engine import gateway_of

    assert gateway_of([{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]) == "172.17.0.1"
    assert gateway_of([{"Subnet": "172.17.0.0/16"}]) == "172.17.0.1"
    assert gateway_of([{"Subnet": "10.9.8.0/24"}]) == "10.9.8.1"
    assert gateway_of([]) is None


def test_compose_v1_is_recognised_behind_its_python_interpreter():
    """Debian's docker-compose 1.29 is a Python script: /proc shows `python3
    /usr/bin/docker-compose -f ...` (seen on this machine); a still-running one was missed
    and left a zombie after the run."""
    from smdebug_local.engine import _is_compose

    roots = frozenset({"/tmp/tmpab"})
    argv = [
        "/usr/bin/python3",
        "/usr/bin/docker-compose",
        "-f",
        "/tmp/tmpab/docker-compose.yaml",
        "up",
    ]
    assert _is_compose("docker-compose", argv, roots)
    assert _is_compose("python3", argv, roots)
    assert _is_compose("docker", ["docker", "compose", "-f", "/tmp/tmpab/x.yaml", "up"], roots)
    assert not _is_compose("docker-compose", argv, frozenset({"/tmp/other"}))
    assert not _is_compose("docker", ["docker", "build", "/tmp/tmpab"], roots)
    assert not _is_compose("python3", ["/usr/bin/python3", "train.py"], None)


def test_a_restart_removes_the_model_servers_stale_pid_file_first():
    """MMS/TorchServe exit "already running" when their old pid is reused after a restart."""
    calls = []

    class Container:
        def exec_run(self, cmd, user):
            calls.append(("exec", cmd, user))

        def restart(self, timeout):
            calls.append(("restart", timeout))

    class Containers:
        def get(self, name):
            assert name == "c1"
            return Container()

    engine = Engine()
    engine.__dict__["client"] = type("Client", (), {"containers": Containers()})()
    engine.restart("c1")
    assert calls == [("exec", ["sh", "-c", STALE_PID_FILES], "root"), ("restart", 1)]


def test_failures_are_the_jobs_containers_only_and_one_being_removed_is_skipped(monkeypatch):
    """The run's own throw-away containers (debugpy's compile, image probes) carry the
    run's label but no role: their failed start is not the job's failure; a container the
    engine is removing meanwhile (logs: 409) is skipped, not an error."""
    import docker.errors

    class Container:
        def __init__(self, name, labels, gone=False):
            self.name, self.labels, self.gone = name, labels, gone
            self.attrs = {"State": {"Status": "exited", "ExitCode": 1}, "Config": {"Image": "i"}}

        def logs(self, tail):
            if self.gone:
                raise docker.errors.APIError("409 Conflict: removal in progress")
            return b"boom\n"

    engine = Engine()
    found = [
        Container("job", {"run": "r", "role": "serving"}),
        Container("compile", {"run": "r"}),
        Container("going", {"run": "r", "role": "serving"}, gone=True),
    ]
    monkeypatch.setattr(engine, "containers", lambda label, value: found)
    assert [f.name for f in engine.failures("run", "r", "role")] == ["job"]

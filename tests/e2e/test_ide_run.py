"""The VS Code flow outside VS Code: the task's command as VS Code's login shell runs it,
pinned ports, "Tasks: Terminate Task" (SIGHUP), and `run --ide vscode` following the run's
real ports and folders. (tests/vscode drives the same files in a real VS Code.)"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest

from smdebug_local.ide import jsonc

from conftest import SMDEBUG, WAITING, marker_line, our_containers
from dap import Debugger

pytestmark = pytest.mark.e2e


@contextmanager
def listening(*ports: int):
    """Something else's listeners on ``ports`` of 127.0.0.1 (another run, another tool)."""
    socks = []
    try:
        for port in ports:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(1)
            socks.append(sock)
        yield
    finally:
        for sock in socks:
            sock.close()


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for start in range(47000, 60000, count):
        try:
            with listening(*range(start, start + count)):
                return start
        except OSError:
            continue
    raise AssertionError("no free port range")


def task_of(workspace) -> dict:
    (task,) = jsonc.parse((workspace / ".vscode" / "tasks.json").read_text()).to_python()["tasks"]
    return task


def test_the_task_runs_in_a_login_shell_without_the_venv_and_fails_as_a_problem(plain):
    """VS Code runs the task in a login shell (Debian's /etc/profile resets PATH): the task
    still runs smdebug-local, and a port someone else holds is refused in one line the
    task's problem matcher records (VS Code then prompts instead of attaching)."""
    port = free_ports(1)
    subprocess.run(
        [SMDEBUG, "init", "vscode", "--script", "driver.py", "--port", str(port)],
        cwd=plain,
        check=True,
        capture_output=True,
    )
    task = task_of(plain)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    shell = subprocess.run(
        ["bash", "-lc", "command -v smdebug-local"],
        cwd=plain,
        env=env,
        capture_output=True,
        text=True,
    )
    assert shell.returncode != 0, "precondition: the login shell's PATH lacks the venv"
    with listening(port):
        started = time.monotonic()
        result = subprocess.run(
            ["bash", "-lc", task["command"]],
            cwd=plain,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    print(f"refused in {time.monotonic() - started:.1f}s")
    assert result.returncode == 2, result
    (line,) = result.stderr.strip().splitlines()
    found = re.search(task["problemMatcher"]["pattern"]["regexp"], line)
    assert found and f"debug port {port} on 127.0.0.1 is already in use" in found[2], line
    assert not re.search(task["problemMatcher"]["background"]["endsPattern"], line)


def test_a_pinned_run_refuses_to_move_any_port(plain, py39_image, start_run):
    """--port N (what the task runs) pins every port the configurations name: with the
    second training host's port taken, the run stops instead of giving algo-2 another one
    (the configuration "training algo-2" would attach to whatever holds N+1)."""
    port = free_ports(2)
    with listening(port + 1):
        run = start_run(
            ["--port", str(port), "driver.py"],
            plain,
            {"TEST_IMAGE": py39_image, "TEST_INSTANCE_COUNT": "2"},
        )
        assert run.finish(timeout=180) != 0, run.output
    assert run.saw(
        f"debug port {port + 1} on 127.0.0.1 is already in use (--port {port} pins this run's ports"
    ), run.output
    assert not run.saw("waiting for debugger"), run.output
    assert not our_containers()


def live_compose_processes() -> list[str]:
    """Compose processes still running (a zombie is already over; init reaps it)."""
    out = subprocess.run(["ps", "-eo", "pid,stat,args"], capture_output=True, text=True).stdout
    return [
        line
        for line in out.splitlines()[1:]
        if "compose" in line
        and line.split()[1][0] != "Z"
        and ("docker-compose" in line or "docker compose" in line)
    ]


@pytest.mark.parametrize(
    "sig, status", [(signal.SIGHUP, 129), (signal.SIGTERM, 143)], ids=["sighup", "sigterm"]
)
def test_terminate_task_sighup_cleans_up_as_sigterm_does(sig, status, plain, py39_image, start_run):
    """VS Code ends a task ("Tasks: Terminate Task") with SIGHUP."""
    run = start_run(["driver.py"], plain, {"TEST_IMAGE": py39_image})
    run.wait_for(WAITING)
    assert our_containers()
    started = time.monotonic()
    run.proc.send_signal(sig)
    assert run.finish(timeout=60) == status, run.output
    print(f"{sig.name}: ended and cleaned up in {time.monotonic() - started:.1f}s")
    assert run.saw("smdebug-local: interrupted; removing containers"), run.output
    assert not our_containers()
    assert not live_compose_processes()


def test_run_writes_the_attach_configuration_of_its_own_port(plain, py39_image, start_run):
    with socket.socket() as busy:  # the first port is taken: the run moves on, and so does
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the configuration
        try:
            busy.bind(("127.0.0.1", 5678))
            busy.listen(1)
        except OSError:
            pass  # something else holds it already: just as taken
        run = start_run(["--ide", "vscode", "driver.py"], plain, {"TEST_IMAGE": py39_image})
        match = run.wait_for(WAITING)[0]
    assert match["port"] != "5678"
    launch = jsonc.parse((plain / ".vscode" / "launch.json").read_text()).to_python()
    (config,) = [c for c in launch["configurations"] if c["name"] == "smdebug-local: training"]
    assert config["connect"] == {"host": "127.0.0.1", "port": int(match["port"])}
    assert config["pathMappings"] == [
        {"localRoot": "${workspaceFolder}/src", "remoteRoot": "/opt/ml/code"}
    ]
    # The task pins the port this run moved to, which the configuration names.
    assert shlex.split(task_of(plain)["command"])[1:] == [
        "-m",
        "smdebug_local",
        "run",
        "--ide",
        "vscode",
        "--port",
        match["port"],
        "driver.py",
    ]

    # Attach exactly as the configuration says (${workspaceFolder} is the project folder).
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    mappings = [
        {k: v.replace("${workspaceFolder}", str(plain)) for k, v in m.items()}
        for m in config["pathMappings"]
    ]
    debugger = Debugger(
        config["connect"]["host"], config["connect"]["port"], mappings, {str(train): [line]}
    )
    debugger.attach()
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == line
    stop.resume()
    assert run.finish() == 0, run.output
    assert run.saw("wrote .vscode/launch.json and .vscode/tasks.json for this run")

"""debugpy is remote code execution: no other machine, and no other local account, may get a
debug session with any debugger of a run -- while the user's own DAP client attaches as
always."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import textwrap

import pytest
from test_serving import attach

from conftest import SMDEBUG, WAITING, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

OTHER_USER = "smdebug-other"
# Run by the other account: for each address, what a DAP client gets after it connects and
# sends `initialize` (the bytes, or the error). Standard library only: the system's Python.
PROBE = textwrap.dedent(r"""
    import json, socket, sys
    body = b'{"seq": 1, "type": "request", "command": "initialize", "arguments": {}}'
    request = b"Content-Length: %d\r\n\r\n" % len(body) + body
    got = {}
    for address in sys.argv[1:]:
        host, port = address.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(request)
                sock.settimeout(5)
                data = b""
                while True:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:  # closed with our request unread
                        break
                    if not chunk:
                        break
                    data += chunk
            got[address] = data.decode("utf-8", "replace")
        except OSError as exc:
            got[address] = type(exc).__name__
    print(json.dumps(got))
""")


def non_loopback_addresses() -> list[str]:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout
    found = [line.split()[3].split("/")[0] for line in out.splitlines()]
    return [a for a in found if not a.startswith("127.")]


def test_debug_port_refuses_connections_through_other_addresses(plain, py39_image, start_run):
    addresses = non_loopback_addresses()
    assert addresses, "this machine has no non-loopback IPv4 address to test through"
    run = start_run(["driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    (match,) = run.wait_for(WAITING)  # waiting: the debug port is published right now
    port = int(match["port"])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # reachable on loopback
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()
    # Docker publishes the container's debugger on loopback only (a port it picks; the
    # endpoint is the run's relay).
    published = subprocess.run(
        ["docker", "ps", "--format", "{{.Ports}}"], capture_output=True, text=True
    ).stdout
    assert re.search(r"127\.0\.0\.1:\d+->5678/tcp", published), published
    assert "0.0.0.0:" not in published and ":::" not in published, published


def test_binding_elsewhere_needs_the_option_and_warns(tmp_path, docker_engine):
    (tmp_path / "driver.py").write_text("print('driver ran')\n")
    result = subprocess.run(
        [SMDEBUG, "run", "--bind", "0.0.0.0", "driver.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "driver ran" in result.stdout
    assert (
        "smdebug-local: WARNING: debug ports are published on 0.0.0.0: anyone who can "
        "reach this address can run code in the containers and read their AWS credentials "
        "(only loopback endpoints let in your own account alone); keep the default --bind "
        "127.0.0.1 unless this network is yours alone"
    ) in result.stderr


@pytest.fixture(scope="module")
def other_user(docker_engine) -> str:
    """A second local account, outside the docker group (made once, kept for reruns)."""
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/bin/sh", OTHER_USER], check=True
        )
    groups = subprocess.run(["id", "-nG", OTHER_USER], capture_output=True, text=True).stdout
    assert "docker" not in groups.split()
    return OTHER_USER


def probe_as(user: str, addresses: list[str]) -> dict[str, str]:
    out = subprocess.run(
        ["runuser", "-u", user, "--", "/usr/bin/python3", "-c", PROBE, *addresses],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def container_addresses(port: int) -> tuple[str, str]:
    """The waiting container's address on the Docker network and the loopback port Docker
    published its debugger on (every local account can reach both)."""
    (name,) = subprocess.run(
        ["docker", "ps", "--filter", "label=smdebug-local.run", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    inspect = json.loads(
        subprocess.run(["docker", "inspect", name], capture_output=True, check=True).stdout
    )[0]
    (network,) = inspect["NetworkSettings"]["Networks"].values()
    (binding,) = inspect["NetworkSettings"]["Ports"]["5678/tcp"]
    assert binding["HostIp"] == "127.0.0.1"
    return f"{network['IPAddress']}:5678", f"127.0.0.1:{binding['HostPort']}"


def test_another_local_account_gets_no_session_with_any_debugger_of_the_run(
    plain, py39_image, other_user, start_run
):
    """With the driver debugged too (--debug-driver) and the training container waiting,
    another account connects to every address a debugger of the run is on -- the driver's
    port, the container's endpoint, the port Docker published it on, the container's
    address on the Docker network -- and gets no byte of DAP; the user's own DAP client
    attaches to each as always."""
    run = start_run(["--debug-driver", "driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
    driver = run.wait_for(re.compile(r"driver pid \d+ waiting for debugger on ([\d.]+):(\d+)"))[0]
    driver_address = f"{driver[1]}:{driver[2]}"
    assert probe_as(other_user, [driver_address]) == {driver_address: ""}
    ours = Debugger(driver[1], int(driver[2]), [], {}, peek=False)
    ours.attach()  # the driver goes on

    (match,) = run.wait_for(WAITING, timeout=180)
    endpoint = f"{match['bind']}:{match['port']}"
    network, published = container_addresses(int(match["port"]))
    got = probe_as(other_user, [endpoint, published, network])
    assert got == {endpoint: "", published: "", network: ""}, got

    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    debugger = attach(match, {train: [line]})
    stop = debugger.next_stop()
    assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    stop.resume()
    debugger.close()
    ours.close()
    assert run.finish() == 0, run.output

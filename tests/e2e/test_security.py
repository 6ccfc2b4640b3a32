"""debugpy is remote code execution: debug ports must not be reachable from other machines."""

from __future__ import annotations

import socket
import subprocess

import pytest

from conftest import SMDEBUG, WAITING

pytestmark = pytest.mark.e2e


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
    published = subprocess.run(
        ["docker", "ps", "--format", "{{.Ports}}"], capture_output=True, text=True
    ).stdout
    assert f"127.0.0.1:{port}->5678/tcp" in published
    assert f"0.0.0.0:{port}" not in published


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
        "reach this address can run code in the containers; keep the default --bind "
        "127.0.0.1 unless this network is yours alone"
    ) in result.stderr

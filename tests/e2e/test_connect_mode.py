"""Connect-back mode: the IDE listens, every container connects to it.

The DAP test client acts as VS Code with a ``"listen"`` attach configuration and
``"restart": true``: debugpy's adapter runs on the host (``tests/dap.HostAdapter``) and
listens on the Docker bridge address; when a run's debuggee ends, the adapter exits and
the session restarts -- a new adapter listening on the same address, as VS Code's restart
does -- so consecutive runs are debugged with no user action.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from smdebug_local.compose import LABEL_RUN
from smdebug_local.ide import jsonc

from conftest import SMDEBUG, marker_line
from dap import HostAdapter, listen

pytestmark = pytest.mark.e2e


def _bridge_address() -> str:
    """The bridge gateway; some engines list only the subnet, whose first address Docker
    gives the gateway."""
    import ipaddress
    import json

    (config, *_) = json.loads(
        subprocess.run(
            ["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


def _bridge_port() -> tuple[str, int]:
    """The bridge gateway and a port free on it: where an IDE listens for containers."""
    bridge = _bridge_address()
    with socket.socket() as s:
        s.bind((bridge, 0))
        return bridge, s.getsockname()[1]


def _listen_in_background(
    adapter: HostAdapter, config: dict, breakpoints: dict[str, list[int]]
) -> tuple[threading.Thread, dict]:
    """Start an IDE listen session; its Debugger lands in the dict once a debuggee is in."""
    session: dict = {}

    def ide() -> None:
        try:
            session["debugger"] = listen(adapter, config, breakpoints)
        except BaseException as exc:
            session["error"] = exc

    thread = threading.Thread(target=ide, daemon=True)
    thread.start()
    return thread, session


def test_listening_ide_is_reattached_on_every_run(plain, training_image, start_run):
    bridge, port = _bridge_port()
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    # The configuration VS Code would run: what `init vscode --mode connect` writes.
    subprocess.run(
        [
            SMDEBUG,
            "init",
            "vscode",
            "--script",
            "driver.py",
            "--mode",
            "connect",
            "--port",
            str(port),
        ],
        cwd=plain,
        check=True,
        capture_output=True,
    )
    (config,) = jsonc.parse((plain / ".vscode" / "launch.json").read_text()).to_python()[
        "configurations"
    ]
    assert config["listen"] == {"host": bridge, "port": port} and config["restart"] is True
    for round_ in (1, 2):  # "restart": true -- a new session listens after each run
        adapter = HostAdapter()  # a restarted session starts its own adapter, as VS Code does
        try:
            listener, session = _listen_in_background(adapter, config, {str(train): [line]})
            run = start_run(
                ["--mode", "connect", "--port", str(port), "driver.py"],
                cwd=plain,
                env={"TEST_IMAGE": training_image},
            )
            listener.join(300)
            assert "debugger" in session, (round_, session.get("error"), run.output)
            assert run.saw(
                f"training algo-1 (PyTorch) connecting to debugger at host.docker.internal:"
                f"{port} ({plain / 'src'} -> /opt/ml/code)"
            ), run.output
            debugger = session["debugger"]
            stop = debugger.next_stop()
            top = stop.frames()[0]
            assert (Path(top["source"]["path"]), top["line"]) == (train, line), round_
            assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
            # The container (paused here) publishes no port: nothing listens in it.
            published = subprocess.run(
                ["docker", "ps", "--filter", f"label={LABEL_RUN}", "--format", "{{.Ports}}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split("\n")
            assert [p for p in published if p.strip()] == [], published
            stop.resume()
            assert run.finish() == 0, run.output
            debugger.close()
        finally:
            adapter.close()


def test_a_listener_that_never_speaks_is_named_instead_of_hanging(plain, training_image, start_run):
    """A socket left listening (e.g. by the debug adapter of a reloaded VS Code window)
    accepts the container's connection and never answers: debugpy.connect() would hang on
    it for good. The container gives up within seconds, says why and how to fix it, and the
    job runs without a debugger."""
    bridge = _bridge_address()
    with socket.socket() as orphan:
        orphan.bind((bridge, 0))
        orphan.listen(8)  # never accepts: the kernel completes connections, nobody speaks
        port = orphan.getsockname()[1]
        started = time.monotonic()
        run = start_run(
            ["--mode", "connect", "--port", str(port), "driver.py"],
            cwd=plain,
            env={"TEST_IMAGE": training_image},
        )
        (line,) = [
            m[0]
            for m in run.wait_for(
                re.compile(
                    r"smdebug-local: debugger not started \(RuntimeError: something on "
                    rf"host\.docker\.internal:{port} accepted the connection but sent nothing in 5s.*"
                ),
                timeout=180,
            )
        ]
        print(f"gave up {time.monotonic() - started:.1f}s after the run started")
        assert f"end the process holding port {port} on the host" in line, line
        assert run.finish(timeout=180) == 0, run.output
    assert run.saw("model artifact:"), run.output

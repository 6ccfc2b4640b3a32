"""`run --ide pycharm`: containers connect back to PyCharm's Debug Server with pydevd-pycharm.

No PyCharm runs here: ``tests/pydevd_server.PydevdServer`` speaks the IDE side of pydevd's
protocol the way PyCharm's Debug Server does, configured from the XML `init pycharm` wrote
(port and path mapping), and must see the training process stop at its breakpoint.
"""

from __future__ import annotations

import json
import socket
import subprocess
import tarfile
import xml.etree.ElementTree as ET

import pytest
from test_connect_mode import _bridge_port

from conftest import SMDEBUG, marker_line
from pydevd_server import PydevdServer

pytestmark = pytest.mark.e2e

PYCHARM_BUILD = "263.7307.50"


def test_pycharm_debug_server_stops_the_training_process_at_its_breakpoint(
    plain, py39_image, start_run
):
    bridge, port = _bridge_port()
    subprocess.run(
        [SMDEBUG, "init", "pycharm", "--port", str(port)],
        cwd=plain,
        check=True,
        capture_output=True,
    )
    config = ET.parse(plain / ".idea" / "runConfigurations" / "smdebug_local_training.xml")
    options = {o.get("name"): o.get("value") for o in config.iter("option")}
    mapping = config.find(".//mapping")
    local = mapping.get("local-root").replace("$PROJECT_DIR$", str(plain))
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    server = PydevdServer(
        bridge, int(options["PORT"]), (local, mapping.get("remote-root")), [(str(train), line)]
    )
    try:
        run = start_run(
            [
                "--ide",
                "pycharm",
                "--pycharm-build",
                PYCHARM_BUILD,
                "--port",
                str(port),
                "driver.py",
            ],
            plain,
            {"TEST_IMAGE": py39_image},
        )
        stop = server.next_suspend()
        assert (stop.file, stop.line) == (str(train), line)
        assert not run.saw("model artifact:"), "the job must be held at the breakpoint"
        server.resume(stop)
        assert run.finish() == 0, run.output
    finally:
        server.close()
    assert run.saw(
        f"training algo-1 connecting to PyCharm debug server at host.docker.internal:{port}"
    )
    with tarfile.open(plain / "output" / "model.tar.gz") as tar:
        assert json.load(tar.extractfile("result.json"))["total"] == 135


def test_no_debug_server_is_one_line_and_the_job_runs_undebugged(plain, py39_image, start_run):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    run = start_run(
        [
            "--ide",
            "pycharm",
            "--pycharm-build",
            PYCHARM_BUILD,
            "--port",
            str(port),
            "--no-wait",
            "driver.py",
        ],
        plain,
        {"TEST_IMAGE": py39_image},
    )
    assert run.finish() == 0, run.output
    assert run.saw(
        f"no PyCharm debug server listening on host.docker.internal:{port}; start "
        'the "smdebug-local: training" configuration first'
    )

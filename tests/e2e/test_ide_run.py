"""`run --ide vscode`: launch.json follows the run's real ports and folders."""

from __future__ import annotations

import socket

import pytest
from conftest import WAITING, marker_line
from dap import Debugger

from smdebug_local.ide import jsonc

pytestmark = pytest.mark.e2e


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
    assert config["pathMappings"] == [{"localRoot": "${workspaceFolder}/src",
                                       "remoteRoot": "/opt/ml/code"}]
    tasks = jsonc.parse((plain / ".vscode" / "tasks.json").read_text()).to_python()
    assert tasks["tasks"][0]["command"] == "smdebug-local run --ide vscode driver.py"

    # Attach exactly as the configuration says (${workspaceFolder} is the project folder).
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    mappings = [{k: v.replace("${workspaceFolder}", str(plain)) for k, v in m.items()}
                for m in config["pathMappings"]]
    debugger = Debugger(config["connect"]["host"], config["connect"]["port"], mappings,
                        {str(train): [line]})
    debugger.attach()
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == line
    stop.resume()
    assert run.finish() == 0, run.output
    assert run.saw("wrote .vscode/launch.json and .vscode/tasks.json for this run")

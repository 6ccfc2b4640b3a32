"""The seed workflow: a Jupyter notebook trains in local mode with debugging turned on by
``%load_ext smdebug_local``; the test's DAP client (acting as VS Code) stops in the
training script. The notebook runs in a real kernel (nbclient + ipykernel)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

CELLS = [
    "import os\nos.environ['AWS_DEFAULT_REGION'] = 'us-east-1'\n"
    "os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'",
    "%load_ext smdebug_local",
    """\
from pathlib import Path
from sagemaker.local import LocalSession
from sagemaker.pytorch import PyTorch

HERE = Path.cwd()
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\\n".join(str(i) for i in range(10)) + "\\n")
(HERE / "output").mkdir(exist_ok=True)
session = LocalSession(sagemaker_config={"SchemaVersion": "1.0", "SageMaker": {
    "PythonSDK": {"Modules": {"TelemetryOptOut": True}}}})
session.config = {"local": {"local_code": True}}
estimator = PyTorch(entry_point="train.py", source_dir=str(HERE / "src"), image_uri="IMAGE",
                    framework_version="2.3", py_version="py311",
                    role="arn:aws:iam::111111111111:role/local-mode-dummy",
                    instance_count=1, instance_type="local", sagemaker_session=session,
                    output_path=f"file://{HERE / 'output'}", hyperparameters={"scale": 3})
estimator.fit({"training": f"file://{HERE / 'data'}"})
print("model artifact:", estimator.model_data)""",
    "%smdebug_local status",
    "%smdebug_local off",
]


def _target(workspace: Path, timeout: float = 240) -> dict:
    """The training target, from the state file the kernel's session writes."""
    path = workspace / ".smdebug-local" / "state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            targets = json.loads(path.read_text())["targets"]
        except (OSError, ValueError, KeyError):
            targets = []
        if targets:
            return targets[0]
        time.sleep(0.2)
    raise AssertionError(f"{path} did not list a target within {timeout}s")


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def test_notebook_trains_with_debugging_and_the_breakpoint_hits(plain, py39_image):
    cells = [c.replace('"IMAGE"', repr(py39_image)) for c in CELLS]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(plain)}}
    )
    errors: list[BaseException] = []

    def execute() -> None:
        try:
            client.execute()
        except BaseException as exc:
            errors.append(exc)

    runner = threading.Thread(target=execute, daemon=True)
    runner.start()
    target = _target(plain)
    host, port = target["endpoints"][0].rsplit(":", 1)
    train = plain / "src" / "train.py"
    line = marker_line(train, "# sum breakpoint")
    debugger = Debugger(
        host=host,
        port=int(port),
        path_mappings=target["pathMappings"],
        breakpoints={str(train): [line]},
    )
    debugger.attach()
    stop = debugger.next_stop(timeout=240)
    assert (Path(stop.frames()[0]["source"]["path"]), stop.frames()[0]["line"]) == (train, line)
    assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    stop.resume()
    runner.join(600)
    assert not runner.is_alive() and not errors, errors
    loaded, fitted, status, off = notebook.cells[1:]
    assert "smdebug-local: debugging on from port 5678 (training waits for a debugger)" in _text(
        loaded
    )
    assert "model artifact: file://" in _text(fitted)
    assert f"training algo-1: 127.0.0.1:{port} ({plain / 'src'} -> /opt/ml/code)" in _text(status)
    assert "debugging off" in _text(off)
    assert not (plain / ".smdebug-local" / "state.json").exists()

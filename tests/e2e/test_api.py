"""`smdebug_local.enable()` from a plain Python script (no `smdebug-local run`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from conftest import WAITING, describe_containers, our_containers

pytestmark = pytest.mark.e2e

SCRIPT = """
import os, pathlib
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
import smdebug_local
from sagemaker.estimator import Estimator
from sagemaker.local import LocalSession

here = pathlib.Path(__file__).resolve().parent
(here / "data").mkdir(exist_ok=True)
(here / "data" / "numbers.txt").write_text("1\\n2\\n")
session = LocalSession(sagemaker_config={"SchemaVersion": "1.0", "SageMaker": {
    "PythonSDK": {"Modules": {"TelemetryOptOut": True}}}})
estimator = Estimator(image_uri=os.environ["TEST_IMAGE"], role="arn:aws:iam::1:role/x",
                      instance_count=1, instance_type="local", sagemaker_session=session,
                      output_path=f"file://{here}/output")
with smdebug_local.enable(wait=False, path_mappings={str(here / "program"): "/opt/program"}):
    estimator.fit({"training": f"file://{here}/data"})
print("fit without debugging after the with-block:", smdebug_local.active() is None, flush=True)
smdebug_local.enable(wait=False, path_mappings={str(here / "program"): "/opt/program"})
estimator.deploy(initial_instance_count=1, instance_type="local")
print("last line", flush=True)  # no delete_endpoint(): the script must still end
"""


def test_enable_scoped_and_a_script_without_delete_endpoint_ends(tmp_path, byoc_image):
    earlier = set(our_containers())  # another test's leak is reported by that test
    (tmp_path / "program").mkdir()
    (tmp_path / "script.py").write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, "script.py"],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TEST_IMAGE": byoc_image, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"},
    )
    lines, last_line_at = [], None
    for line in proc.stdout:
        lines.append(line.rstrip())
        if "last line" in line:  # the SDK prints progress marks ("!") before it
            last_line_at = time.monotonic()
    try:
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    output = "\n".join(lines)
    assert code == 0 and last_line_at is not None, output
    assert time.monotonic() - last_line_at < 30, "the script hung after its last line"
    roles = [m["role"] for m in map(WAITING.search, lines) if m]
    assert roles == ["training", "serving"], output
    assert "fit without debugging after the with-block: True" in output
    left = set(our_containers()) - earlier
    assert not left, describe_containers(left)

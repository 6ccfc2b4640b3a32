"""The payload in a real interpreter with real debugpy (from the prepared cache), no Docker.

What a user's process must not notice: ``__name__``, ``sys.argv`` and tracebacks are the
same as without debugging, the image's own ``sitecustomize`` still runs, and a failure to
start the debugger is one stderr line, after which the script runs anyway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smdebug_local.debuggers import debugpy as debugpy_cache
from smdebug_local.payload import CONFIG_ENV, PAYLOAD_DIR
from smdebug_local.ports import PortAllocator

SCRIPT = textwrap.dedent("""
    import json, os, sys
    print(json.dumps({"name": __name__, "argv": sys.argv,
                      "debugpy": "debugpy" in sys.modules,
                      "image_site": os.environ.get("IMAGE_SITECUSTOMIZE_RAN")}))
    def fail():
        raise ValueError("boom")
    fail()
""")


@pytest.fixture(scope="module")
def debugpy_dir() -> Path:
    return debugpy_cache.prepare(log=lambda m: None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "train.py").write_text(SCRIPT)
    image_site = tmp_path / "image-site"
    image_site.mkdir()
    (image_site / "sitecustomize.py").write_text(
        "import os\nos.environ['IMAGE_SITECUSTOMIZE_RAN'] = __name__\n"
    )
    return tmp_path


def run(project: Path, config: dict | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (CONFIG_ENV, "PYTHONPATH")}
    env["PYTHONPATH"] = f"{PAYLOAD_DIR}:{project / 'image-site'}"
    if config is not None:
        env[CONFIG_ENV] = json.dumps(config)
    return subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=project / "code",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def config_for(project: Path, debugpy_dir: Path, **kw) -> dict:
    port = PortAllocator(20000).allocate()
    return {
        "role": "training",
        "host": "algo-1",
        "ports": [[port, f"127.0.0.1:{port}"]],
        "wait": False,
        "match": [f"{project / 'code'}/*"],
        "debugpy": str(debugpy_dir),
        **kw,
    }


def user_stderr(stderr: str) -> str:
    return "".join(
        ln for ln in stderr.splitlines(keepends=True) if not ln.startswith("smdebug-local:")
    )


def test_process_sees_no_difference(project, debugpy_dir):
    plain = run(project, None, "--epochs", "1")
    debugged = run(project, config_for(project, debugpy_dir), "--epochs", "1")
    assert "debugger listening on" in debugged.stderr
    seen_plain, seen_debugged = json.loads(plain.stdout), json.loads(debugged.stdout)
    assert seen_debugged.pop("debugpy") is True and seen_plain.pop("debugpy") is False
    assert (
        seen_debugged
        == seen_plain
        == {
            "name": "__main__",
            "argv": ["train.py", "--epochs", "1"],
            "image_site": "sitecustomize",
        }
    )
    assert debugged.returncode == plain.returncode == 1
    assert user_stderr(debugged.stderr) == plain.stderr  # identical traceback


def test_unmatched_process_is_left_alone(project, debugpy_dir):
    result = run(project, config_for(project, debugpy_dir, match=["/opt/ml/code/*"]))
    assert json.loads(result.stdout)["debugpy"] is False
    assert "smdebug-local" not in result.stderr


def test_failure_is_one_line_and_the_script_still_runs(project, tmp_path):
    result = run(project, config_for(project, tmp_path / "no-debugpy-here"))
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("smdebug-local:")]
    assert len(lines) == 1 and "debugger not started" in lines[0] and "missing" in lines[0]
    assert json.loads(result.stdout)["name"] == "__main__"


def test_garbage_config_does_not_break_python(project):
    env = {**os.environ, "PYTHONPATH": str(PAYLOAD_DIR), CONFIG_ENV: "{not json"}
    result = subprocess.run(
        [sys.executable, "-c", "print('ok')"], env=env, capture_output=True, text=True
    )
    assert result.stdout == "ok\n" and result.returncode == 0

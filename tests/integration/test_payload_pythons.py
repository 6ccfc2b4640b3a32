"""The payload's promise: Python 3.8 and the standard library only, on every real Python.

The bootstrap runs inside the user's image, whose Python may be as old as 3.8 and whose
site-packages we must not need. Checked three ways: the 3.8 grammar, the imports, and the
payload's own tests run by each host interpreter 3.8-3.13 (virtualenvs from dev/setup.sh).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = REPO / "smdebug_local" / "payload"
FILES = sorted(PAYLOAD.glob("*.py"))
# Loaded from the read-only mounts at run time, never from the image.
MOUNTED = {"debugpy", "pydevd_pycharm", "_smdebug_local_boot"}
PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name != "__init__.py"], ids=lambda p: p.name
)
def test_payload_parses_with_python_36_grammar(path):
    # It runs on 3.8+, and must still load on the 3.6/3.7 images it cannot debug, to say so.
    ast.parse(path.read_text(), str(path), feature_version=(3, 6))


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.name != "__init__.py"], ids=lambda p: p.name
)
def test_payload_imports_only_the_standard_library(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    outside = imported - set(sys.stdlib_module_names) - MOUNTED - {"__future__"}
    assert not outside, f"{path.name} imports {sorted(outside)}, not in the standard library"


@pytest.mark.parametrize("minor", PYTHONS)
def test_payload_tests_pass_under_each_host_python(minor):
    python = REPO / ".venv-payload" / minor / "bin" / "python"
    assert python.is_file(), (
        f"no test virtualenv for Python {minor} ({python}); the README's "
        "test command (dev/setup.sh) makes it from pyenv's Python"
    )
    version = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert ".".join(version) == minor
    for path in FILES:
        if path.name != "__init__.py":
            subprocess.run([str(python), "-m", "py_compile", str(path)], check=True)
    run = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(REPO / "tests" / "payload"),
            "-c",
            "/dev/null",
            str(REPO / "tests" / "payload"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout.splitlines()[-1]


def _pyenv_python(minor: str) -> Path:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    found = sorted(Path(root or Path.home() / ".pyenv", "versions").glob(f"{minor}.*/bin/python"))
    assert found, f"no Python {minor} under pyenv (pyenv install {minor})"
    return found[-1]


@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_an_image_python_too_old_to_debug_runs_the_job_and_says_why(minor, tmp_path):
    """The PyTorch 1.8 (3.6) and TensorFlow 2.3-2.4 (3.7) DLCs: the bootstrap loads, says in
    one line what would make debugging work, and the user's script runs as without it."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("import sys\nprint('trained', sys.argv[1:])\n")
    config = (
        '{"role": "training", "host": "algo-1", "ports": [[5678, "127.0.0.1:5678"]], '
        f'"match": ["{code}/*"], "wait": true}}'
    )
    run = subprocess.run(
        [str(_pyenv_python(minor)), str(code / "train.py"), "--epochs", "1"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PAYLOAD), "SMDEBUG_LOCAL": config},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "trained ['--epochs', '1']\n"
    assert run.stderr == (
        f"smdebug-local: debugger not started (RuntimeError: Python {minor} is older than the "
        "debugpy builds smdebug-local ships support (3.8+): use an image with Python 3.8 or "
        "newer to debug this container); running without it\n"
    )

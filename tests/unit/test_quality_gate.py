"""The quality gate, in the test command: ruff (lint and format) and mypy, as configured
in pyproject.toml. A failure prints what the tool said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_is_clean():
    run = _run("ruff", "check", ".")
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_format_is_clean():
    run = _run("ruff", "format", "--check", ".")
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_is_clean():
    run = _run("mypy")
    assert run.returncode == 0, run.stdout + run.stderr

"""The payload as containers load it: its folder on sys.path, no smdebug_local package.

These tests also run under the host's real Python 3.8-3.13 (one virtualenv each, made by
dev/setup.sh), so this file and the tests here use only the standard library and pytest.
"""

import os
import sys

import pytest

PAYLOAD = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "smdebug_local",
    "payload",
)
sys.path.insert(0, PAYLOAD)


@pytest.fixture(autouse=True)
def stack_dumps_in_tmp(tmp_path, monkeypatch):
    """A debugger the tests start registers its stack dumps: into a temporary folder, not
    the machine's /tmp/smdebug-local-stacks."""
    import _smdebug_local_stacks

    monkeypatch.setattr(_smdebug_local_stacks, "DIRECTORY", str(tmp_path / "stack-dumps"))


@pytest.fixture(autouse=True)
def edits_in_tmp(tmp_path, monkeypatch):
    """Likewise for the folder serving processes list themselves in for edits."""
    import _smdebug_local_hot

    monkeypatch.setattr(_smdebug_local_hot, "DIRECTORY", str(tmp_path / "edits"))

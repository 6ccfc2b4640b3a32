"""The driver process's debugger (``run --debug-driver``): where its debugpy comes from."""

from __future__ import annotations

import sys

from smdebug_local.driver import load_debugpy
from smdebug_local.payload._smdebug_local_boot import debugpy_version_for


class NoInstalledDebugpy:
    """A meta path finder: this Python has no debugpy of its own (only the builds)."""

    def __init__(self, builds: str) -> None:
        self.builds = builds

    def find_spec(self, name, path=None, target=None):
        if name == "debugpy" and not sys.path[0].startswith(self.builds):
            raise ImportError("no debugpy installed here")
        return None


def fake_build(builds, monkeypatch):
    """A stand-in debugpy build for this Python under ``builds`` (its ``BUILD`` says so),
    with no debugpy imported yet; returns its __init__.py."""
    package = builds / debugpy_version_for(sys.version_info) / "debugpy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("BUILD = True\n")
    monkeypatch.delitem(sys.modules, "debugpy", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return package / "__init__.py"


def test_a_python_without_debugpy_takes_the_containers_build_for_its_version(tmp_path, monkeypatch):
    init = fake_build(tmp_path, monkeypatch)
    monkeypatch.setattr(sys, "meta_path", [NoInstalledDebugpy(str(tmp_path)), *sys.meta_path])
    loaded = load_debugpy(str(tmp_path))
    assert loaded.BUILD and loaded.__file__ == str(init)
    sys.modules.pop("debugpy")  # the undo of the first delitem restores the real one


def test_the_containers_build_is_taken_even_where_debugpy_is_installed(tmp_path, monkeypatch):
    """The payload's door is written for (and proven with) the builds smdebug-local ships."""
    fake_build(tmp_path, monkeypatch)
    loaded = load_debugpy(str(tmp_path))
    assert loaded.BUILD and str(tmp_path) not in sys.path[0]
    sys.modules.pop("debugpy")
    assert load_debugpy(str(tmp_path / "nothing-here")).__name__ == "debugpy"  # the installed
    sys.modules.pop("debugpy")

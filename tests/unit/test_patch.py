"""Patching the SDK when the user's code imports it."""

from __future__ import annotations

import importlib
import sys

from smdebug_local.sdk._patch import _after_import, after_import


def _package(tmp_path, monkeypatch, name: str) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / name / "image.py").write_text(
        "class Container:\n    def run(self):\n        return 'sdk'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_callback_runs_after_the_module_executed(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch, "fakesdk_a")
    seen = []
    after_import("fakesdk_a.image", lambda m: seen.append(m.Container().run()))
    assert seen == []
    importlib.import_module("fakesdk_a.image")
    assert seen == ["sdk"]
    assert _after_import not in sys.meta_path  # nothing left pending: the finder is gone
    importlib.reload(sys.modules["fakesdk_a.image"])
    assert seen == ["sdk"]  # once


def test_already_imported_runs_at_once_and_cancel_stops_a_pending_one(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch, "fakesdk_b")
    importlib.import_module("fakesdk_b.image")
    seen = []
    after_import("fakesdk_b.image", seen.append)
    assert [m.__name__ for m in seen] == ["fakesdk_b.image"]
    cancel = after_import("fakesdk_b.other", seen.append)
    cancel()
    assert _after_import.callbacks == {} and _after_import not in sys.meta_path


def test_an_adapter_that_does_not_fit_the_sdk_never_breaks_the_users_import(tmp_path, monkeypatch):
    from smdebug_local.sdk import install_on_import

    _package(tmp_path, monkeypatch, "fakesdk_c")

    class Misfit:
        name = module = "fakesdk_c.image"
        uninstalled = False

        def install(self, hooks):
            raise AttributeError("no _SageMakerContainer")

        def uninstall(self):
            Misfit.uninstalled = True

    said = []
    hooks = type("Hooks", (), {"unsupported": lambda self, message: said.append(message)})()
    undo = install_on_import(Misfit(), hooks)
    module = importlib.import_module("fakesdk_c.image")  # must not raise
    assert module.Container().run() == "sdk" and Misfit.uninstalled
    assert said == [
        "cannot hook fakesdk_c.image of this SageMaker SDK (AttributeError: no "
        "_SageMakerContainer); its containers run without a debugger -- please "
        "report this with `pip show sagemaker`"
    ]
    undo()

"""Reversible patching of SDK attributes, and patching at import time; shared by the adapters."""

from __future__ import annotations

import functools
import importlib.abc
import inspect
import sys
import threading
from collections.abc import Callable
from types import ModuleType

_MARK = "__smdebug_local_original__"


def wrap(owner: object, name: str, make: Callable) -> None:
    """Replace ``owner.name`` by ``make(original)``, remembering the original (idempotent)."""
    current = owner.__dict__[name]
    original = getattr(current, _MARK, current)
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, original)
    setattr(owner, name, wrapper)


def arguments(original: Callable, *args, **kwargs) -> dict:
    """A call's arguments to ``original`` by parameter name, defaults filled in.

    Replacements take ``*args, **kwargs`` and read what they need from here, so they accept
    exactly the calls the installed SDK's function accepts (SDK 3.x added ``timeout=`` to
    a function 2.x calls with one argument), and reject the others with its TypeError.
    """
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def unwrap(owner: object, name: str) -> None:
    """Restore what :func:`wrap` replaced; a no-op if ``owner.name`` is not wrapped."""
    original = getattr(owner.__dict__.get(name), _MARK, None)
    if original is not None:
        setattr(owner, name, original)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs callbacks right after a module's code has executed.

    Adapters patch the SDK when the user's code imports it, not before: importing SDK 3.x
    modules eagerly costs seconds and can fail before the user's script has set up its
    environment (``sagemaker.serve`` creates a boto3 client at import, which needs a region).
    """

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[[ModuleType], None]]] = {}
        self.lock = threading.Lock()

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.callbacks:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            self.fire(fullname, module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec

    def fire(self, name: str, module: ModuleType) -> None:
        with self.lock:
            callbacks = self.callbacks.pop(name, [])
            self.retire_if_idle()
        for callback in callbacks:
            callback(module)

    def retire_if_idle(self) -> None:
        """Leave ``sys.meta_path`` once nothing is awaited (call with the lock held)."""
        if not self.callbacks and self in sys.meta_path:
            sys.meta_path.remove(self)


_after_import = _AfterImport()


def after_import(name: str, callback: Callable[[ModuleType], None]) -> Callable[[], None]:
    """Call ``callback(module)`` once ``name`` is imported (now, if it already is).

    Returns a function that cancels the callback if it has not run yet.
    """
    if name in sys.modules:
        callback(sys.modules[name])
        return lambda: None
    with _after_import.lock:
        _after_import.callbacks.setdefault(name, []).append(callback)
        if _after_import not in sys.meta_path:
            sys.meta_path.insert(0, _after_import)

    def cancel() -> None:
        with _after_import.lock:
            pending = _after_import.callbacks.get(name, [])
            if callback in pending:
                pending.remove(callback)
            if not pending:
                _after_import.callbacks.pop(name, None)
            _after_import.retire_if_idle()

    return cancel

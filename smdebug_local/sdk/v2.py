"""Adapter for local mode's compose generation in ``sagemaker.local.image`` (SDK 2.x).

We wrap ``_SageMakerContainer._generate_compose_file``: it returns the compose dict that
the SDK keeps using afterwards (``retrieve_artifacts`` re-parses its volumes with
``host, ctr = v.split(":")``), and writes the file that ``docker compose up`` runs. The
wrapper lets the SDK keep its own dict and rewrites only the *file* with the debuggable
configuration -- so our read-only ``:ro`` mounts never reach the SDK's parser. The method's
signature ``(self, command, additional_volumes=None, additional_env_vars=None)`` has been
stable across SDK 2.x and is identical in 3.x's ``sagemaker.core.local.image``.
"""

from __future__ import annotations

import functools
import importlib
import os

import yaml

from . import ROLES, ComposeCallback, ComposeRequest

_ATTR = "_generate_compose_file"
_MARK = "__smdebug_local_original__"


class ComposeFileAdapter:
    """Hooks ``<module>._SageMakerContainer._generate_compose_file``."""

    def __init__(self, name: str, module) -> None:
        self.name = name
        self._cls = module._SageMakerContainer
        self._filename = getattr(module, "DOCKER_COMPOSE_FILENAME", "docker-compose.yaml")

    @classmethod
    def for_v2(cls) -> ComposeFileAdapter | None:
        """The adapter for ``sagemaker.local`` if that SDK is importable, else None."""
        try:
            module = importlib.import_module("sagemaker.local.image")
        except ImportError:
            return None
        return cls("sagemaker.local", module)

    def install(self, callback: ComposeCallback) -> None:
        current = self._cls.__dict__[_ATTR]
        original = getattr(current, _MARK, current)
        filename = self._filename

        @functools.wraps(original)
        def generate(container, command, additional_volumes=None, additional_env_vars=None):
            content = original(container, command, additional_volumes, additional_env_vars)
            debug = callback(ComposeRequest(ROLES.get(command, command), container.image, content))
            if debug is not content:
                path = os.path.join(container.container_root, filename)
                with open(path, "w") as f:
                    yaml.safe_dump(debug, f, default_flow_style=False)
            return content

        setattr(generate, _MARK, original)
        setattr(self._cls, _ATTR, generate)

    def uninstall(self) -> None:
        current = self._cls.__dict__.get(_ATTR)
        original = getattr(current, _MARK, None)
        if original is not None:
            setattr(self._cls, _ATTR, original)

"""Adapter for SDK 3.x ``ModelTrainer`` in ``Mode.LOCAL_CONTAINER`` (``sagemaker.train.local``).

ModelTrainer does not use ``sagemaker.core.local``: ``_LocalContainer`` (a pydantic model)
has its own ``_generate_compose_file(self, environment, volumes)``, which returns the dict
its ``retrieve_artifacts`` re-parses and writes ``<container_root>/docker-compose.yaml``.
As for SDK 2.x, the SDK keeps its dict and only the file gets the debuggable version
(the replacement passes any arguments on, as the SDK's ``_LocalContainer.train`` gives them). The
code arrives as the input channel ``code`` (``/opt/ml/input/data/code``) and runs as
``python <entry_script>`` from there, started by the SDK's driver scripts -- which the
training role's patterns do not match, so only the user's script is debugged.
"""

from __future__ import annotations

import importlib
import os

import yaml

from . import ComposeRequest, Hooks
from ._patch import unwrap, wrap


class ModelTrainerAdapter:
    """Hooks ``sagemaker.train.local.local_container._LocalContainer``."""

    name = "sagemaker.train.local"
    module = "sagemaker.train.local.local_container"

    def __init__(self) -> None:
        self._cls = None

    def install(self, hooks: Hooks) -> None:
        module = importlib.import_module(self.module)
        self._cls = module._LocalContainer
        filename = getattr(module, "DOCKER_COMPOSE_FILENAME", "docker-compose.yaml")

        def make_generate(original):
            # The arguments are only passed on: any call the SDK's own function accepts.
            def generate(container, *args, **kwargs):
                content = original(container, *args, **kwargs)
                debug = hooks.on_compose(
                    ComposeRequest("training", container.image, content, container.container_root)
                )
                with open(os.path.join(container.container_root, filename), "w") as f:
                    yaml.safe_dump(debug, f, default_flow_style=False)
                return content

            return generate

        wrap(self._cls, "_generate_compose_file", make_generate)

    def uninstall(self) -> None:
        if self._cls is not None:
            unwrap(self._cls, "_generate_compose_file")
            self._cls = None

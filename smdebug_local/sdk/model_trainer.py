"""Adapter for SDK 3.x ``ModelTrainer`` in ``Mode.LOCAL_CONTAINER`` (``sagemaker.train.local``).

ModelTrainer does not use ``sagemaker.core.local``: ``_LocalContainer`` (a pydantic model)
has its own ``_generate_compose_file(self, environment, volumes)``, which returns the dict
its ``retrieve_artifacts`` re-parses and writes ``<container_root>/docker-compose.yaml``.
As for SDK 2.x, the SDK keeps its dict and only the file gets the debuggable version
(the replacement passes any arguments on, as the SDK's ``_LocalContainer.train`` gives them). The
code arrives as the input channel ``code`` (``/opt/ml/input/data/code``) and runs as
``python <entry_script>`` from there, started by the SDK's driver scripts -- which the
training role's patterns do not match, so only the user's script is debugged.

For watch mode, ``_LocalContainer.train(self, wait)`` is where a job starts (its name is
known there), and ``ModelTrainer.train`` is the call a rerun makes again (:mod:`.reruns`):
the drivers folder the first call mounted is deleted when it returns. The adapter installs
when ``sagemaker.train.model_trainer`` has been imported (it imports the local container's
module half-way through its own code, before ``ModelTrainer`` exists). A rerun's job is named ``<name>-rerun-<n>`` and
gets its own container root ``<local_container_root>/<name>-rerun-<n>`` -- the first run's
``model/`` and ``compressed_artifacts/`` would otherwise be overwritten.
"""

from __future__ import annotations

import importlib
import os

import yaml

from . import ComposeRequest, Hooks
from ._patch import arguments, unwrap, wrap
from .reruns import Calls, again_on_a_copy, trainer_call


class ModelTrainerAdapter:
    """Hooks ``sagemaker.train.local.local_container._LocalContainer`` and
    ``sagemaker.train.model_trainer.ModelTrainer.train``."""

    name = "sagemaker.train.local"
    module = "sagemaker.train.model_trainer"
    local_module = "sagemaker.train.local.local_container"

    def __init__(self) -> None:
        self._cls = None
        self._trainer_cls = None
        self.calls = Calls()

    def install(self, hooks: Hooks) -> None:
        module = importlib.import_module(self.local_module)
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

        calls = self.calls

        def make_train(original):
            def train(container, *args, **kwargs):
                rerun = calls.rerunning()
                if rerun is not None:  # its own name and container root
                    name = rerun.rerun_name or container.training_job_name
                    root = os.path.join(container.container_root, name)
                    os.makedirs(root, exist_ok=True)
                    container.training_job_name, container.container_root = name, root
                    rerun.result = original(container, *args, **kwargs)
                    return rerun.result
                request = calls.request(
                    "training",
                    container.training_job_name,
                    "artifacts",
                    "was not started by ModelTrainer.train()",
                )
                with hooks.job_run(request):
                    return original(container, *args, **kwargs)

            return train

        def make_record(original):
            def record(trainer, *args, **kwargs):
                given = arguments(original, trainer, *args, **kwargs)
                again = again_on_a_copy(original, given, None)
                with calls.making(trainer_call(getattr(trainer, "source_code", None), again)):
                    return original(trainer, *args, **kwargs)

            return record

        wrap(self._cls, "_generate_compose_file", make_generate)
        wrap(self._cls, "train", make_train)
        # Another shape of ModelTrainer: its jobs are still debugged, only not rerun.
        trainer_cls = getattr(importlib.import_module(self.module), "ModelTrainer", None)
        if trainer_cls is not None and "train" in trainer_cls.__dict__:
            wrap(trainer_cls, "train", make_record)
            self._trainer_cls = trainer_cls

    def uninstall(self) -> None:
        if self._trainer_cls is not None:
            unwrap(self._trainer_cls, "train")
            self._trainer_cls = None
        if self._cls is not None:
            unwrap(self._cls, "_generate_compose_file")
            unwrap(self._cls, "train")
            self._cls = None

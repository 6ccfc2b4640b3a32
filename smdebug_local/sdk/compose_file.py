"""Adapter for the compose-based local mode: ``sagemaker.local`` (SDK 2.x) and
``sagemaker.core.local`` (SDK 3.x, the same code: Processor, and what else runs through
its LocalSession).

Hook points, each a private name that has been stable across SDK 2.x and is the same in
3.x:

* ``_SageMakerContainer._generate_compose_file(self, command, additional_volumes=None,
  additional_env_vars=None)`` returns the compose dict the SDK keeps using (its
  ``retrieve_artifacts`` re-parses volumes with ``host, ctr = v.split(":")``) and writes
  the file ``docker compose up`` runs. We let the SDK keep its own dict and rewrite only the
  *file* with the debuggable configuration, so our ``:ro`` mounts never reach that parser.
* ``_SageMakerContainer.stop_serving(self)``: before the SDK's compose stop (10 s grace, then
  SIGKILL, because the serving entrypoint ends in ``tail -f /dev/null``) the session removes
  the container at once.
* ``entities._wait_for_serving_container(serving_port)``: the SDK polls ``/ping`` every 5 s
  and gives up after 120 s, which a breakpoint in ``model_fn`` outlasts; the session's wait
  notices a dead container at once instead, and tolerates a paused one.
* ``_SageMakerContainer.train(self, input_data_config, output_data_config,
  hyperparameters, environment, job_name)``: recorded, so watch mode can call it again for a
  rerun with the same arguments (a new job name and output folder).
* ``_HostingContainer.run(self)``, the serving thread, raises when compose exits with
  anything but 0/130 -- as it does (137) when the session removed the container on purpose;
  only that case is kept quiet.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from pathlib import Path
from urllib.parse import urlparse

import yaml

from . import ROLES, ComposeRequest, Hooks, TrainingRequest
from ._patch import unwrap as _unwrap
from ._patch import wrap as _wrap


def _hyperparameter(hyperparameters: dict, key: str) -> str | None:
    """A hyperparameter the SDK stores JSON-encoded (``'"train.py"'``), decoded."""
    value = hyperparameters.get(key)
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = value
    return decoded if isinstance(decoded, str) else None


def _local_dir(uri: str | None) -> str | None:
    """The folder of a ``file://`` submit directory (local_code); None for S3 code."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return os.path.abspath(parsed.netloc + parsed.path)


def rerun_output(output_path: str, job_name: str, attempt: int) -> str:
    """Where rerun ``attempt`` of a job writes its artifacts, never over an earlier run's.

    Local mode copies a ``file://`` output's artifacts straight into that folder; S3
    outputs already get a folder per job name (and a rerun has a new name).
    """
    if not output_path.startswith("file://"):
        return output_path
    return f"file://{Path(output_path[len('file://'):]) / f'{job_name}-rerun-{attempt}'}"


def training_request(train, container, args: tuple) -> TrainingRequest:
    """``train(container, *args)`` described, with a rerun that repeats it (see
    :class:`~smdebug_local.sdk.TrainingRequest`)."""
    inputs, output, hyperparameters, environment, job_name = args
    saved = copy.deepcopy((inputs, output, hyperparameters, environment))
    # The SDK's _compose() extends this list in place, so each call adds "-f FILE up ..."
    # once more; a fresh container object starts from the prefix alone.
    prefix = list(getattr(container, "compose_cmd_prefix", None) or [])

    def rerun(attempt: int) -> object:
        if prefix:
            container.compose_cmd_prefix = list(prefix)
        again_inputs, again_output, again_params, again_env = copy.deepcopy(saved)
        again_output = dict(again_output)
        again_output["S3OutputPath"] = rerun_output(
            again_output.get("S3OutputPath", ""), job_name, attempt)
        return train(container, again_inputs, again_output, again_params, again_env,
                     f"{job_name}-rerun-{attempt}")

    return TrainingRequest(
        name=job_name,
        source_dir=_local_dir(_hyperparameter(hyperparameters, "sagemaker_submit_directory")),
        entry_point=_hyperparameter(hyperparameters, "sagemaker_program"),
        rerun=rerun,
    )


class ComposeFileAdapter:
    """Hooks ``<package>.image`` and ``<package>.entities`` of one local-mode package."""

    def __init__(self, package: str) -> None:
        self.name = self.module = package
        self._filename = "docker-compose.yaml"
        self._installed: list[tuple[object, str]] = []

    def _compose_path(self, container) -> str:
        return os.path.join(container.container_root, self._filename)

    @staticmethod
    def _container_names(compose_file: str) -> list[str]:
        """Container names in a compose file we wrote ([] if it cannot be read)."""
        try:
            with open(compose_file) as f:
                services = (yaml.safe_load(f) or {}).get("services") or {}
        except (OSError, yaml.YAMLError):
            return []
        return [s["container_name"] for s in services.values()
                if isinstance(s, dict) and s.get("container_name")]

    def install(self, hooks: Hooks) -> None:
        image, entities, utils = (importlib.import_module(f"{self.module}.{m}")
                                  for m in ("image", "entities", "utils"))
        self._filename = getattr(image, "DOCKER_COMPOSE_FILENAME", self._filename)
        adapter = self

        def make_generate(original):
            def generate(container, command, additional_volumes=None, additional_env_vars=None):
                content = original(container, command, additional_volumes, additional_env_vars)
                request = ComposeRequest(ROLES.get(command, command), container.image, content,
                                         getattr(container, "container_root", None))
                debug = hooks.on_compose(request)
                with open(adapter._compose_path(container), "w") as f:
                    yaml.safe_dump(debug, f, default_flow_style=False)
                return content
            return generate

        def make_train(original):
            def train(container, input_data_config, output_data_config, hyperparameters,
                      environment, job_name):
                args = (input_data_config, output_data_config, hyperparameters, environment,
                        job_name)
                with hooks.training_run(training_request(original, container, args)):
                    return original(container, *args)
            return train

        def make_stop(original):
            def stop_serving(container):
                names = adapter._container_names(adapter._compose_path(container))
                if names:
                    hooks.before_stop(names)
                return original(container)
            return stop_serving

        def make_run(original):
            def run(hosting):
                try:
                    original(hosting)
                except RuntimeError:
                    command = list(hosting.command)
                    path = command[command.index("-f") + 1] if "-f" in command else ""
                    if not hooks.removed_on_purpose(adapter._container_names(path)):
                        raise
            return run

        def make_wait(original):
            def wait_for_serving_container(serving_port):
                host = utils.get_docker_host()
                hooks.wait_until_serving(f"http://{host}:{serving_port}/ping")
            return wait_for_serving_container

        self._installed = [(image._SageMakerContainer, "_generate_compose_file"),
                           (image._SageMakerContainer, "train"),
                           (image._SageMakerContainer, "stop_serving"),
                           (entities, "_wait_for_serving_container"),
                           (image._HostingContainer, "run")]
        makers = (make_generate, make_train, make_stop, make_wait, make_run)
        for (owner, name), make in zip(self._installed, makers):
            _wrap(owner, name, make)

    def uninstall(self) -> None:
        for owner, name in self._installed:
            _unwrap(owner, name)
        self._installed = []

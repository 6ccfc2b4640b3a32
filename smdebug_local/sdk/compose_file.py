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
* ``_SageMakerContainer.serve(self, model_dir, environment)``: remembers, for the wait that
  follows on the same thread, which container (and ``_HostingContainer`` thread) it started.
* ``entities._wait_for_serving_container(serving_port)`` (SDK 3.x adds ``timeout=``, the
  ``local.health_check_timeout`` setting): the SDK polls ``/ping`` every 5 s and gives up
  after 120 s, which a breakpoint in ``model_fn`` outlasts; the session's wait notices a dead
  container at once instead, and tolerates a paused one. It asks ``/ping`` through the SDK's
  own ``entities._perform_request`` and ``entities.get_docker_host`` (urllib3, which ignores
  proxy variables -- the endpoint is on this machine). If the wait fails, for any reason
  including a crash of ours, the serving compose is stopped and its containers removed.
* ``_SageMakerContainer.train(self, input_data_config, output_data_config,
  hyperparameters, environment, job_name)``: recorded, so watch mode can call it again for a
  rerun with the same arguments (a new job name and output folder).
* ``_SageMakerContainer.process(self, processing_inputs, processing_output_config,
  environment, processing_job_name)``: a processing job starts; watch mode reruns it by
  making the ``run()`` call that started it again (:mod:`.reruns`: local mode gets the code
  already uploaded to S3, so only the SDK's own ``run`` uploads the edited code), under the
  job name ``<name>-rerun-<n>``, its outputs moved apart here.
* ``ScriptProcessor.run`` and ``FrameworkProcessor.run`` (``sagemaker.processing``; SDK 3.x
  ``sagemaker.core.processing``), hooked when that module is imported: recorded with the
  code they run, for those reruns.
* ``_HostingContainer.run(self)``, the serving thread, raises when compose exits with
  anything but 0/130 -- as it does (137) when the session removed the container on purpose;
  only that case is kept quiet.
* ``LocalPipelineExecutor._execute_step(self, step)`` (``sagemaker.local.pipeline``; SDK
  3.x ``sagemaker.mlops.local.pipeline``), hooked when that module is imported: a local
  SageMaker Pipelines execution runs each step's job (processing, training, transform)
  synchronously inside it, on the caller's thread, so the compose configuration generated
  there belongs to ``step.name`` (:class:`PipelineSteps`). Nothing in the container says
  which step it is for -- job names are only derived from it.

Every replacement takes ``*args, **kwargs`` and reads its arguments by name from the SDK
function's own signature (:func:`~smdebug_local.sdk._patch.arguments`), so it accepts each
call the installed SDK makes (tests/unit/test_sdk_call_sites.py checks them, 2.x and 3.x).
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import urllib3
import yaml

from . import ROLES, ComposeRequest, Hooks, JobRequest, ServingWait, _sdk_has
from ._patch import after_import, arguments
from ._patch import unwrap as _unwrap
from ._patch import wrap as _wrap
from .reruns import Calls, again_on_a_copy, output_locations, processing_call, rerun_outputs

# One /ping may take this long: a model server paused at a breakpoint may never answer, and
# the wait must still notice a dead container (the SDK's own request has no timeout).
PING_TIMEOUT = 5.0
# ``_SageMakerContainer.train``'s parameters, in the order a rerun passes them again.
TRAIN_PARAMETERS = (
    "input_data_config",
    "output_data_config",
    "hyperparameters",
    "environment",
    "job_name",
)
# The processors whose ``run(code=...)`` watch mode can make again (each class's own run).
PROCESSORS = ("ScriptProcessor", "FrameworkProcessor")


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
    return f"file://{Path(output_path[len('file://') :]) / f'{job_name}-rerun-{attempt}'}"


def training_request(train, container, args: tuple) -> JobRequest:
    """``train(container, *args)`` described, with a rerun that repeats it (see
    :class:`~smdebug_local.sdk.JobRequest`)."""
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
            again_output.get("S3OutputPath", ""), job_name, attempt
        )
        return train(
            container,
            again_inputs,
            again_output,
            again_params,
            again_env,
            f"{job_name}-rerun-{attempt}",
        )

    return JobRequest(
        kind="training",
        name=job_name,
        source_dir=_local_dir(_hyperparameter(hyperparameters, "sagemaker_submit_directory")),
        entry_point=_hyperparameter(hyperparameters, "sagemaker_program"),
        rerun=rerun,
        elsewhere="runs code from S3 (local_code is off)",
    )


def _compose_exit(container) -> int | None:
    """Exit code of the ``docker compose up`` that ``container.serve()`` started in its
    ``_HostingContainer`` thread (-1: never started); None while it runs, or if unknown."""
    hosting = getattr(container, "container", None)
    if hosting is None or hosting.is_alive():
        return None
    process = getattr(hosting, "process", None)
    code = process.poll() if process is not None else None
    return -1 if code is None else code


def step_name(step: object) -> str | None:
    """The name of a pipeline step the executor runs (None: not a named step)."""
    name = getattr(step, "name", None)
    return name if isinstance(name, str) and name else None


class PipelineSteps:
    """The SageMaker Pipelines step each thread is executing, if any.

    A local pipeline execution runs its steps one after another on one thread, each step's
    job inside the executor's ``_execute_step``; what that job's containers are for is known
    only there, on the host -- so it is kept per thread (two pipelines may run at once on
    two threads) and read when the job's compose configuration is generated.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def current(self) -> str | None:
        """The step this thread is executing (None: outside any pipeline step)."""
        return getattr(self._local, "name", None)

    @contextmanager
    def running(self, name: str | None) -> Iterator[None]:
        """This thread executes step ``name`` while inside (nesting restores the outer)."""
        outer = self.current
        self._local.name = name
        try:
            yield
        finally:
            self._local.name = outer


class ComposeFileAdapter:
    """Hooks ``<package>.image`` and ``<package>.entities`` of one local-mode package, the
    local pipeline executor (``pipeline``, a module) whose jobs run through it, and the
    processors (``processing``, a module) that start its processing jobs."""

    def __init__(
        self, package: str, pipeline: str | None = None, processing: str | None = None
    ) -> None:
        self.name = self.module = package
        self.pipeline = pipeline
        self.processing = processing
        self.steps = PipelineSteps()
        self.calls = Calls()
        self._filename = "docker-compose.yaml"
        self._installed: list[tuple[object, str]] = []
        self._cancel_pipeline: Callable[[], None] | None = None
        self._cancel_processing: Callable[[], None] | None = None

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
        return [
            s["container_name"]
            for s in services.values()
            if isinstance(s, dict) and s.get("container_name")
        ]

    def install(self, hooks: Hooks) -> None:
        image, entities = (
            importlib.import_module(f"{self.module}.{m}") for m in ("image", "entities")
        )
        self._filename = getattr(image, "DOCKER_COMPOSE_FILENAME", self._filename)
        adapter = self
        # The container serve() just started on this thread: the SDK waits for it next.
        serving = threading.local()

        def make_generate(original):
            def generate(container, *args, **kwargs):
                content = original(container, *args, **kwargs)
                command = arguments(original, container, *args, **kwargs)["command"]
                request = ComposeRequest(
                    ROLES.get(command, command),
                    container.image,
                    content,
                    getattr(container, "container_root", None),
                    step=adapter.steps.current,
                )
                debug = hooks.on_compose(request)
                with open(adapter._compose_path(container), "w") as f:
                    yaml.safe_dump(debug, f, default_flow_style=False)
                return content

            return generate

        def make_train(original):
            def train(container, *args, **kwargs):
                given = arguments(original, container, *args, **kwargs)
                recorded = tuple(given[name] for name in TRAIN_PARAMETERS)
                with hooks.job_run(training_request(original, container, recorded)):
                    return original(container, *args, **kwargs)

            return train

        def make_process(original):
            def process(container, *args, **kwargs):
                given = arguments(original, container, *args, **kwargs)
                name = str(given["processing_job_name"])
                rerun = adapter.calls.rerunning()
                if rerun is not None:  # its own outputs, not over the first run's
                    given["processing_output_config"] = rerun_outputs(
                        given["processing_output_config"] or {}, name
                    )
                    result = original(**given)
                    rerun.result = output_locations(given["processing_output_config"])
                    return result
                request = adapter.calls.request(
                    "processing",
                    name,
                    "outputs",
                    "was not started by a processor's run() with local code",
                )
                with hooks.job_run(request):
                    return original(container, *args, **kwargs)

            return process

        def make_serve(original):
            def serve(container, *args, **kwargs):
                serving.container = None
                result = original(container, *args, **kwargs)
                serving.container = container
                return result

            return serve

        def make_stop(original):
            def stop_serving(container, *args, **kwargs):
                names = adapter._container_names(adapter._compose_path(container))
                if names:
                    hooks.before_stop(names)
                return original(container, *args, **kwargs)

            return stop_serving

        def make_run(original):
            def run(hosting, *args, **kwargs):
                try:
                    original(hosting, *args, **kwargs)
                except RuntimeError:
                    command = list(hosting.command)
                    path = command[command.index("-f") + 1] if "-f" in command else ""
                    if not hooks.removed_on_purpose(adapter._container_names(path)):
                        raise

            return run

        def make_wait(original):
            def wait_for_serving_container(*args, **kwargs):
                given = arguments(original, *args, **kwargs)
                container = getattr(serving, "container", None)
                serving.container = None
                url = f"http://{entities.get_docker_host()}:{int(given['serving_port'])}/ping"
                pool = urllib3.PoolManager(
                    retries=urllib3.Retry(0), timeout=urllib3.Timeout(PING_TIMEOUT)
                )
                endpoint = ServingWait(
                    ping_url=url,
                    ping=lambda: entities._perform_request(url, pool)[1] == 200,
                    compose_exit=lambda: _compose_exit(container),
                    timeout=given.get("timeout"),
                )
                try:
                    hooks.wait_until_serving(endpoint)
                except BaseException:
                    if container is not None:
                        adapter._abandon(container, hooks)
                    raise

            return wait_for_serving_container

        self._installed = [
            (image._SageMakerContainer, "_generate_compose_file"),
            (image._SageMakerContainer, "train"),
            (image._SageMakerContainer, "process"),
            (image._SageMakerContainer, "serve"),
            (image._SageMakerContainer, "stop_serving"),
            (entities, "_wait_for_serving_container"),
            (image._HostingContainer, "run"),
        ]
        makers = (
            make_generate,
            make_train,
            make_process,
            make_serve,
            make_stop,
            make_wait,
            make_run,
        )
        for (owner, name), make in zip(self._installed, makers):
            _wrap(owner, name, make)
        if self._cancel_pipeline is not None:  # installed again: one pending hook
            self._cancel_pipeline()
        if self.pipeline is not None and _sdk_has(self.pipeline):
            self._cancel_pipeline = after_import(self.pipeline, self._hook_pipeline)
        if self._cancel_processing is not None:
            self._cancel_processing()
        if self.processing is not None and _sdk_has(self.processing):
            self._cancel_processing = after_import(self.processing, self._hook_processors)

    def _hook_processors(self, module) -> None:
        """Record each processor ``run`` call with its code (see :mod:`.reruns`); a
        processor of another shape is only not rerun -- its jobs are still debugged."""
        calls = self.calls

        def make_run(original):
            def run(processor, *args, **kwargs):
                if calls.current is not None:  # FrameworkProcessor's run calls its parent's
                    return original(processor, *args, **kwargs)
                given = arguments(original, processor, *args, **kwargs)
                again = again_on_a_copy(original, given, "job_name")
                with calls.making(processing_call(given, again)):
                    return original(processor, *args, **kwargs)

            return run

        for name in PROCESSORS:
            cls = getattr(module, name, None)
            if cls is not None and "run" in cls.__dict__:
                _wrap(cls, "run", make_run)
                self._installed.append((cls, "run"))

    def _hook_pipeline(self, module) -> None:
        """Name the step each pipeline job runs for (see :class:`PipelineSteps`); an
        executor of another shape only loses the names -- its jobs are still debugged."""
        executor = getattr(module, "LocalPipelineExecutor", None)
        if executor is None or "_execute_step" not in executor.__dict__:
            return
        steps = self.steps

        def make_execute(original):
            def execute_step(pipeline_executor, *args, **kwargs):
                step = arguments(original, pipeline_executor, *args, **kwargs)["step"]
                with steps.running(step_name(step)):
                    return original(pipeline_executor, *args, **kwargs)

            return execute_step

        _wrap(executor, "_execute_step", make_execute)
        self._installed.append((executor, "_execute_step"))

    def _abandon(self, container, hooks: Hooks) -> None:
        """Stop the serving compose of a wait that failed, leaving no container behind.

        The SDK would leave it running (and its non-daemon thread would keep the script
        alive). Not the SDK's ``stop_serving``: it also deletes the job's folder, so the
        user's own ``delete_endpoint`` afterwards would fail. Containers are removed before
        compose is stopped (instant, instead of its 10 s grace) and again after it ended
        (compose may have created one meanwhile: it would stay "Created").
        """
        names = self._container_names(self._compose_path(container))
        if names:
            hooks.before_stop(names)
        hosting = getattr(container, "container", None)
        if hosting is not None:
            deadline = time.monotonic() + PING_TIMEOUT
            while hosting.is_alive() and hosting.process is None and time.monotonic() < deadline:
                time.sleep(0.05)  # the thread is about to start compose: stop that one
            if hosting.process is not None:
                hosting.down()
            hosting.join()
        if names:
            hooks.before_stop(names)

    def uninstall(self) -> None:
        for cancel in (self._cancel_pipeline, self._cancel_processing):
            if cancel is not None:
                cancel()
        self._cancel_pipeline = self._cancel_processing = None
        for owner, name in self._installed:
            _unwrap(owner, name)
        self._installed = []

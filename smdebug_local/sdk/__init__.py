"""One adapter per SageMaker SDK shape, behind one interface.

An adapter hooks the place where its SDK generates the docker-compose configuration for a
local-mode job (or, for ModelBuilder, the docker-py ``containers.run`` call) and hands each
one to a callback, which returns the debuggable configuration to run instead. Adapters install themselves when the user's code
imports their module (:func:`install_on_import`), so nothing of the SDK is imported early.
The rest of smdebug-local never imports ``sagemaker``: it only sees
:class:`ComposeRequest` and :class:`ContainerRequest` objects.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

from .. import messages
from ._patch import after_import

ROLES = {"train": "training", "serve": "serving", "process": "processing"}


@dataclass(frozen=True)
class ComposeRequest:
    """One compose configuration local mode is about to run."""

    role: str  # "training", "serving", "processing"
    image: str
    content: Mapping  # the SDK's compose dict; never mutated
    workdir: str | None = None  # local mode's temporary folder for this job (deleted after)
    # The SageMaker Pipelines step this job runs for (local pipelines run each step's job on
    # the executor's thread), so lines and ``status`` can say which step a container is.
    step: str | None = None


@dataclass(frozen=True)
class ContainerRequest:
    """One container an SDK is about to start with docker-py's ``containers.run`` (no
    compose: ``ModelBuilder``'s local container), as ``run(image, command, **kwargs)``."""

    role: str  # "serving"
    image: str
    kwargs: Mapping  # the SDK's keyword arguments; never mutated
    # Container folders where the SDK mounts the model's code (its debuggable files).
    code_dirs: tuple[str, ...] = ()
    # Host folders of user code that reaches the container pickled (an InferenceSpec
    # defined in the driver script): mounted read-only at the same path, so breakpoints
    # in them resolve in the container.
    source_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobRequest:
    """One training or processing job the SDK is running, and how to run it again (watch
    mode).

    ``rerun(attempt)`` repeats the SDK's call with the same inputs, arguments and image
    under the job name ``<name>-rerun-<attempt>``, writing its outputs apart from earlier
    runs'; it blocks until that run ends and returns where the outputs went. Without a
    local ``source_dir`` (or a ``rerun``) the job is not rerun, and ``elsewhere`` says why
    ("runs code from S3").
    """

    kind: str  # "training", "processing"
    name: str
    source_dir: str | None  # the local source folder the container runs (None: not local)
    entry_point: str | None
    rerun: Callable[[int], object] | None
    # Only the entry point reaches the container (a ScriptProcessor uploads that one file):
    # other files of its folder are not its source.
    entry_only: bool = False
    elsewhere: str = "runs code from S3"
    outputs: str = "artifacts"  # what ``rerun`` returns the location of


@dataclass(frozen=True)
class ServingWait:
    """An endpoint local mode has started and now waits for, with the SDK's own means of
    asking it (so a proxy, a patched SDK or a configured docker host is followed as the
    SDK follows it)."""

    ping_url: str
    ping: Callable[[], bool]  # one GET of ping_url through the SDK's request function: 200?
    # The exit code of the `docker compose up` serving it (-1: it could not be started);
    # None while it runs -- pulling the image, starting, serving.
    compose_exit: Callable[[], int | None]
    timeout: float | None = None  # the SDK's own limit (SDK 3.x local.health_check_timeout)


class Hooks(Protocol):
    """What a debugging session does at the SDK's hook points."""

    def on_compose(self, request: ComposeRequest) -> dict:
        """Return the compose configuration to run instead of ``request.content``."""

    def on_container(self, request: ContainerRequest) -> dict:
        """Return the keyword arguments to run ``request``'s container with instead."""

    def on_container_started(self, name: str) -> None:
        """The container :meth:`on_container` prepared runs (detached) as ``name``."""

    def on_pickled_code(self, folder: str) -> None:
        """Code from a file in the user's ``folder`` was pickled by value (an InferenceSpec
        ModelBuilder sends to its container)."""

    def builder_endpoint(self) -> AbstractContextManager[None]:
        """ModelBuilder registers its endpoint with local mode on this thread while inside:
        the serving compose local mode starts then is a copy of ModelBuilder's container."""

    def before_stop(self, container_names: list[str]) -> None:
        """The SDK is about to stop these containers (e.g. ``delete_endpoint``)."""

    def removed_on_purpose(self, container_names: list[str]) -> bool:
        """True if the session removed all these containers itself (their exit is expected)."""

    def wait_until_serving(self, endpoint: ServingWait) -> None:
        """Return once the endpoint answers 200; raise ``RuntimeError`` if it never will."""

    def unsupported(self, message: str) -> None:
        """Tell the user (once) that something is about to run without a debugger."""

    def job_run(self, request: JobRequest) -> AbstractContextManager[None]:
        """The SDK runs ``request``'s training or processing job on this thread while
        inside."""


class SdkAdapter(Protocol):
    """Hooks one SDK shape's local mode."""

    name: str
    module: str  # importing this module is what installs the adapter

    def install(self, hooks: Hooks) -> None:
        """Route this SDK's compose generation, stops and health checks through ``hooks``."""

    def uninstall(self) -> None:
        """Restore the SDK exactly as it was."""


def _sdk_has(module: str) -> bool:
    """True if ``module`` exists in the installed SDK, found without importing it."""
    top = importlib.util.find_spec("sagemaker")
    rel = module.split(".")[1:]
    for base in (top.submodule_search_locations or []) if top else []:
        path = Path(base, *rel)
        if (path / "__init__.py").is_file() or path.with_suffix(".py").is_file():
            return True
    return False


def available_adapters() -> list[SdkAdapter]:
    """Adapters for every SDK shape installed here; an error naming the fix if none is.

    SDK 2.x has ``sagemaker.local``; SDK 3.x has ``sagemaker.core.local`` (the same compose
    code: Processor and friends), ModelTrainer's ``sagemaker.train.local`` and ModelBuilder.
    """
    from .compose_file import ComposeFileAdapter
    from .model_builder import ModelBuilderAdapter
    from .model_trainer import ModelTrainerAdapter

    candidates: list[SdkAdapter] = [
        ComposeFileAdapter(
            "sagemaker.local",
            pipeline="sagemaker.local.pipeline",
            processing="sagemaker.processing",
        ),
        ComposeFileAdapter(
            "sagemaker.core.local",
            pipeline="sagemaker.mlops.local.pipeline",
            processing="sagemaker.core.processing",
        ),
        ModelTrainerAdapter(),
        ModelBuilderAdapter(),
    ]
    adapters = [a for a in candidates if _sdk_has(a.module)]
    if adapters:
        return adapters
    try:
        version = metadata.version("sagemaker")
    except metadata.PackageNotFoundError:
        raise messages.SDK_MISSING.error() from None
    raise messages.SDK_UNSUPPORTED.error(version=version)


def install_on_import(adapter: SdkAdapter, hooks: Hooks) -> Callable[[], None]:
    """Install ``adapter`` once the user's code imports its module (at once if it has);
    returns a function that undoes it (cancels or uninstalls)."""

    def install(_module) -> None:
        # Runs inside the user's `import`: an SDK this adapter does not fit must not break
        # their script, only lose the debugger, with one line saying so.
        try:
            adapter.install(hooks)
        except Exception as exc:  # any mismatch with the installed SDK
            adapter.uninstall()
            hooks.unsupported(
                f"cannot hook {adapter.name} of this SageMaker SDK "
                f"({type(exc).__name__}: {exc}); its containers run without a "
                "debugger -- please report this with `pip show sagemaker`"
            )

    cancel = after_import(adapter.module, install)

    def undo() -> None:
        cancel()
        adapter.uninstall()

    return undo

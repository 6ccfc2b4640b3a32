"""One adapter per SageMaker SDK shape, behind one interface.

An adapter hooks the place where its SDK generates the docker-compose configuration for a
local-mode job and hands each generated configuration to a callback, which returns the
debuggable configuration to run instead. The rest of smdebug-local never imports
``sagemaker``: it only sees :class:`ComposeRequest` objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..errors import SmdebugError

ROLES = {"train": "training", "serve": "serving", "process": "processing"}


@dataclass(frozen=True)
class ComposeRequest:
    """One compose configuration local mode is about to run."""

    role: str  # "training", "serving", "processing"
    image: str
    content: Mapping  # the SDK's compose dict; never mutated


class Hooks(Protocol):
    """What a debugging session does at the SDK's hook points."""

    def on_compose(self, request: ComposeRequest) -> dict:
        """Return the compose configuration to run instead of ``request.content``."""

    def before_stop(self, container_names: list[str]) -> None:
        """The SDK is about to stop these containers (e.g. ``delete_endpoint``)."""

    def removed_on_purpose(self, container_names: list[str]) -> bool:
        """True if the session removed all these containers itself (their exit is expected)."""

    def wait_until_serving(self, ping_url: str) -> None:
        """Return once ``ping_url`` answers 200; raise ``RuntimeError`` if it never will."""


class SdkAdapter(Protocol):
    """Hooks one SDK shape's local mode."""

    name: str

    def install(self, hooks: Hooks) -> None:
        """Route this SDK's compose generation, stops and health checks through ``hooks``."""

    def uninstall(self) -> None:
        """Restore the SDK exactly as it was."""


def available_adapters() -> list[SdkAdapter]:
    """Adapters for every SDK shape importable here; an error naming the fix if none is."""
    from .v2 import ComposeFileAdapter

    adapters = [a for a in (ComposeFileAdapter.for_v2(),) if a is not None]
    if adapters:
        return adapters
    from importlib import metadata

    try:
        version = metadata.version("sagemaker")
    except metadata.PackageNotFoundError:
        raise SmdebugError(
            "the SageMaker Python SDK is not installed in this Python; install it with "
            "`pip install 'sagemaker[local]>=2.200,<3'`"
        ) from None
    raise SmdebugError(
        f"sagemaker {version} has no sagemaker.local local mode, which this version of "
        "smdebug-local hooks; use `pip install 'sagemaker[local]>=2.200,<3'`"
    )

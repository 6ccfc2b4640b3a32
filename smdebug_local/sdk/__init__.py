"""One adapter per SageMaker SDK shape, behind one interface.

An adapter hooks the place where its SDK generates the docker-compose configuration for a
local-mode job and hands each generated configuration to a callback, which returns the
debuggable configuration to run instead. The rest of smdebug-local never imports
``sagemaker``: it only sees :class:`ComposeRequest` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


ComposeCallback = Callable[[ComposeRequest], dict]


class SdkAdapter(Protocol):
    """Hooks one SDK shape's compose generation."""

    name: str

    def install(self, callback: ComposeCallback) -> None:
        """Route every compose configuration this SDK generates through ``callback``."""

    def uninstall(self) -> None:
        """Restore the SDK exactly as it was."""


def available_adapters() -> list[SdkAdapter]:
    """Adapters for every SDK shape importable here; an error naming the fix if none is."""
    from .v2 import ComposeFileAdapter

    adapters = [a for a in (ComposeFileAdapter.for_v2(),) if a is not None]
    if not adapters:
        raise SmdebugError(
            "the SageMaker Python SDK is not installed in this Python; install it with "
            "`pip install 'sagemaker[local]>=2.200,<3'`"
        )
    return adapters

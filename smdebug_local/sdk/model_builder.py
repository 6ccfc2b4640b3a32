"""``ModelBuilder`` local container mode (``sagemaker.serve``, SDK 2.x and 3.x): not
debuggable yet, and said so.

``LocalContainerMode`` starts its serving container with docker-py's ``containers.run``
(no compose file, no hook point shared with the other shapes), so smdebug-local cannot add
the debug port or the payload. Rather than let a user wait for a debugger that will never
listen, the adapter says once, when such a container is about to be created, what happens
and what to do instead.
"""

from __future__ import annotations

import importlib

from .. import messages
from . import Hooks
from ._patch import unwrap, wrap



class ModelBuilderAdapter:
    """Announces, once per session, that ModelBuilder local containers run undebugged."""

    name = "ModelBuilder (notice only: not debuggable)"
    module = "sagemaker.serve.mode.local_container_mode"

    def __init__(self) -> None:
        self._cls = None

    def install(self, hooks: Hooks) -> None:
        self._cls = importlib.import_module(self.module).LocalContainerMode

        def make_init(original):
            def __init__(mode, *args, **kwargs):
                hooks.unsupported(messages.MODEL_BUILDER.text())
                original(mode, *args, **kwargs)

            return __init__

        wrap(self._cls, "__init__", make_init)

    def uninstall(self) -> None:
        if self._cls is not None:
            unwrap(self._cls, "__init__")
            self._cls = None

"""smdebug-local: breakpoints in SageMaker local-mode containers, with no change to your code.

Not related to Amazon SageMaker Debugger (``smdebug``).

    import smdebug_local
    smdebug_local.enable()        # before estimator.fit(); or: with smdebug_local.enable(): ...
    estimator.fit(...)            # prints "training algo-1 waiting for debugger on 127.0.0.1:5678"
    smdebug_local.disable()
"""

from .api import active, disable, enable
from .errors import SmdebugError
from .session import DebugSession

__version__ = "0.1.0"

__all__ = ["DebugSession", "SmdebugError", "__version__", "active", "disable", "enable"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext smdebug_local``: debugging on, plus the ``%smdebug_local`` magic."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    from .notebook import unload_ipython_extension as unload

    unload(ipython)

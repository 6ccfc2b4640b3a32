"""smdebug-local: breakpoints in SageMaker local-mode containers, with no change to your code.

Not related to Amazon SageMaker Debugger (``smdebug``).

    import smdebug_local
    smdebug_local.enable()        # before estimator.fit(); or: with smdebug_local.enable(): ...
    estimator.fit(...)            # prints "training algo-1 waiting for debugger on 127.0.0.1:5678"
    smdebug_local.disable()
"""

from .errors import SmdebugError
from .session import DebugSession, active, disable, enable

__version__ = "0.1.0"

__all__ = ["DebugSession", "SmdebugError", "__version__", "active", "disable", "enable"]

"""The debuggers containers load: debugpy (every IDE speaking DAP) and pydevd-pycharm.

Both are downloaded once into the user cache (:mod:`.cache`) and mounted read-only into
containers; :func:`prepare` gets what a run needs before any container starts.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import messages
from ..compose import Mount
from ..options import DebugOptions
from ..payload import PAYLOAD_DIR
from . import debugpy, pycharm


def prepare(options: DebugOptions, say: Callable[[str], None]) -> Mount:
    """The payload and debugger trees this run's containers mount (downloaded if missing)."""
    pycharm_dir = None
    if options.ide == "pycharm":
        build = options.pycharm_build or pycharm.detect_build()
        if build is None:
            raise messages.PYCHARM_BUILD_UNKNOWN.error()
        pycharm_dir = str(pycharm.prepare(pycharm.check_build(build), log=say))
    return Mount(str(PAYLOAD_DIR), str(debugpy.prepare(log=say)), pycharm_dir)

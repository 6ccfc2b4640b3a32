"""smdebug-local's in-container bootstrap, part 3 of 3: connect to PyCharm's Debug Server with pydevd-pycharm.

Loaded by :mod:`_smdebug_local_boot` only when needed; stdlib only, Python 3.8 syntax.
"""

import os
import sys
import time

try:  # the host package (tests, smdebug_local.payload)
    from . import _smdebug_local_boot as boot
except ImportError:  # in containers: the payload folder is on sys.path
    import _smdebug_local_boot as boot  # type: ignore[no-redef]


def _import_pydevd_pycharm(config):
    path = config.get("pydevd_pycharm", "/opt/smdebug-local/pydevd-pycharm")
    if not os.path.isfile(os.path.join(path, "pydevd_pycharm.py")):
        raise RuntimeError("pydevd-pycharm is missing from %s" % path)
    # Appended, and kept: pydevd imports its own modules lazily, and must not shadow the
    # user's packages.
    if path not in sys.path:
        sys.path.append(path)
    import pydevd_pycharm

    return pydevd_pycharm


class _Quiet(object):
    """Hold back stderr: pydevd prints a traceback for every refused connection."""

    def __enter__(self):
        self._saved = sys.stderr
        sys.stderr = open(os.devnull, "w")

    def __exit__(self, *exc):
        sys.stderr.close()
        sys.stderr = self._saved


def start_pycharm(config, module=None, sleep=time.sleep, clock=time.time):
    """Connect to PyCharm's Debug Server (pydevd protocol). ``settrace`` returns once the
    IDE has sent its breakpoints and "run", so user code never outruns them; a refused
    connection can be retried (unlike debugpy.connect), so no probe touches the IDE."""
    pydevd_pycharm = module or _import_pydevd_pycharm(config)
    host, port = config["connect"][0], int(config["connect"][1])
    where = boot._sibling("_smdebug_local_ranks").where(config, os.environ)
    boot._say("%s connecting to PyCharm debug server at %s:%s" % (where, host, port))
    deadline = (
        clock()
        + boot._sibling("_smdebug_local_connect").CONNECT_PATIENCE[bool(config.get("wait", True))]
    )
    while True:
        try:
            with _Quiet():
                pydevd_pycharm.settrace(
                    host,
                    port=port,
                    suspend=False,
                    stdout_to_server=False,
                    stderr_to_server=False,
                    patch_multiprocessing=True,
                )
            break
        except (OSError, ConnectionError):
            if clock() >= deadline:
                raise RuntimeError(
                    'no PyCharm debug server listening on %s:%s; start the "smdebug-local: %s" '
                    "configuration first" % (host, port, config.get("role", "training"))
                )
            sleep(0.5)
    os.environ[boot.ACTIVE_ENV] = str(os.getpid())
    boot._say("%s debugger attached" % where)

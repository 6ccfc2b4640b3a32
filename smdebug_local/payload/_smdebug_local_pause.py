"""smdebug-local's in-container bootstrap, part 2 of 3: tell the host while this process is paused at a breakpoint.

Loaded by :mod:`_smdebug_local_boot` only when needed; stdlib only, Python 3.8 syntax.
"""

import os
import sys
import time

try:  # the host package (tests, smdebug_local.payload)
    from . import _smdebug_local_boot as boot
except ImportError:  # in containers: the payload folder is on sys.path
    import _smdebug_local_boot as boot  # type: ignore[no-redef]

# How often the pause reporter looks, and how often it re-writes a "paused" file: the host
# treats a file not refreshed for a few seconds as stale (the process was killed paused).
PAUSE_POLL = 0.25
PAUSE_REFRESH = 1.0


def paused_threads():
    """How many threads pydevd holds suspended at this moment (0 if it cannot tell).

    pydevd (debugpy's and pydevd-pycharm alike) keeps each traced thread's state on the
    thread object as ``additional_info.pydev_state``.
    """
    import threading

    constants = sys.modules.get("_pydevd_bundle.pydevd_constants")
    suspended = getattr(constants, "STATE_SUSPEND", None)
    if suspended is None:
        return 0
    return sum(
        1
        for t in threading.enumerate()
        if getattr(getattr(t, "additional_info", None), "pydev_state", None) == suspended
    )


class PauseReporter(object):
    """Keeps ``<status>/<pid>`` present (and fresh) exactly while this process is paused.

    The file is how the host learns that a user is inspecting this process, so that a
    source change does not kill it under them. Runs on a thread pydevd neither traces nor
    suspends: "suspend all threads" at a breakpoint would otherwise freeze it too.
    """

    def __init__(self, directory, paused=paused_threads, clock=time.time):
        self.path = os.path.join(directory, str(os.getpid()))
        self._paused = paused
        self._clock = clock
        self._written = None

    def step(self):
        """Look once; write, refresh or remove the file as the state says."""
        if self._paused():
            now = self._clock()
            if self._written is None or now - self._written >= PAUSE_REFRESH:
                with open(self.path, "w") as f:
                    f.write("paused\n")
                self._written = now
        elif self._written is not None:
            self._written = None
            try:
                os.remove(self.path)
            except OSError:
                pass

    def run(self):
        while True:
            try:
                self.step()
            except Exception as exc:
                boot._say("pause reports stopped (%s: %s)" % (type(exc).__name__, exc))
                return
            time.sleep(PAUSE_POLL)

    def start(self):
        import threading

        thread = threading.Thread(target=self.run, name="smdebug-local-pause-reporter")
        thread.daemon = True
        # pydevd's marks for its own threads (Thread does not declare them)
        thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
        thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
        thread.start()
        return thread

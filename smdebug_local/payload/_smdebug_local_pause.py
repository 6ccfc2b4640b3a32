"""smdebug-local's in-container bootstrap, part 2 of 3: what happens while this process is
paused at a breakpoint -- the host is told (watch mode), and a proxy in front of a paused
request (nginx in bring-your-own serving images) is explained when it gives up on it.

Loaded by :mod:`_smdebug_local_boot` only when needed; stdlib only, Python 3.8 syntax.
"""

import os
import re
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
# Taken before gevent's monkey-patching (in a forked gunicorn worker) can replace it: the
# watch thread is a real thread and must sleep as one.
_sleep = time.sleep


def paused_threads(modules=sys.modules):
    """How many threads pydevd holds suspended at this moment (0 if it cannot tell).

    pydevd (debugpy's and pydevd-pycharm alike) keeps each traced thread's state on the
    thread object as ``additional_info.pydev_state``. In gevent mode pydevd keeps its own
    copy of ``threading`` (gevent patches the real one), whose thread objects carry it.
    """
    import threading

    constants = modules.get("_pydevd_bundle.pydevd_constants")
    suspended = getattr(constants, "STATE_SUSPEND", None)
    if suspended is None:
        return 0
    saved = getattr(modules.get("_pydev_bundle._pydev_saved_modules"), "threading", None)
    threads: dict = {}
    for module in (threading, saved):
        if module is not None:
            threads.update((id(t), t) for t in module.enumerate())
    return sum(
        1
        for t in threads.values()
        if getattr(getattr(t, "additional_info", None), "pydev_state", None) == suspended
    )


# nginx's proxy_read_timeout when its configuration does not set one.
NGINX_DEFAULT_TIMEOUT = 60.0
_UNITS = {"ms": 0.001, "": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_MASTER = "nginx: master process "


def nginx_config(cmdlines):
    """The configuration file of the nginx running here, from the processes' command lines
    (``/proc/*/cmdline`` as strings), or None when no nginx runs. nginx renames its master
    process to ``nginx: master process <its command line>``."""
    for line in cmdlines:
        if line.startswith(_MASTER):
            args = line[len(_MASTER) :].split()
            for i, arg in enumerate(args[:-1]):
                if arg == "-c":
                    return args[i + 1]
            return "/etc/nginx/nginx.conf"
    return None


def read_timeout(text):
    """The shortest ``proxy_read_timeout`` an nginx configuration sets, in seconds (nginx's
    default when it sets none): the first a paused request can run into."""
    found = [
        float(number) * _UNITS[unit]
        for number, unit in re.findall(
            r"^[^#\n]*\bproxy_read_timeout\s+(\d+)(ms|s|m|h|)\s*;", text, re.MULTILINE
        )
    ]
    return min(found) if found else NGINX_DEFAULT_TIMEOUT


def _cmdlines():
    lines = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    lines.append(f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip())
            except OSError:
                pass
    return lines


def find_proxy(cmdlines=_cmdlines, read=boot._read_text):
    """``(timeout seconds, config file)`` of an nginx in this container, or None."""
    path = nginx_config(cmdlines())
    if path is None:
        return None
    try:
        return read_timeout(read(path)), path
    except OSError:
        return NGINX_DEFAULT_TIMEOUT, path


def proxy_line(where, seconds, limit):
    timeout, path = limit
    return (
        "%s paused for %ds, longer than nginx's proxy_read_timeout (%gs in %s): the "
        "client of this request got 504 Gateway Time-out from nginx; raise "
        "proxy_read_timeout in that file (and rebuild the image) to pause longer"
        % (where, seconds, timeout, path)
    )


def find_collective_timeout(modules=sys.modules):
    """``(seconds, backend)``: the default timeout of this process's torch.distributed
    process group (read when a rank pauses; None when it has none)."""
    dist = modules.get("torch.distributed")
    try:
        if dist is None or not dist.is_initialized():
            return None
        backend = str(dist.get_backend())
        c10d = modules.get("torch.distributed.distributed_c10d")
        timeout = c10d._get_default_timeout(backend)  # private; guarded
        return timeout.total_seconds(), backend
    except Exception:
        return None


def collective_line(where, seconds, limit):
    timeout, backend = limit
    return (
        "%s paused for %ds, longer than the default timeout of its %s process group (%ds): "
        "the other ranks' collectives give up and the job fails unless your code passed a "
        "longer init_process_group(timeout=...); pass one while debugging"
        % (where, seconds, backend, timeout)
    )


class PauseLimit(object):
    """Says once per pause, when a pause outlasts a limit someone else enforces (the
    timeout of an nginx in front of this server, of a distributed job's collectives), what
    its consequence is and where to raise it: smdebug-local cannot raise it itself.

    ``find()`` -> ``(seconds, detail)`` or None, looked up at each pause until found;
    ``line(where, paused seconds, (seconds, detail))`` -> the line.
    """

    def __init__(self, where, find, line, say=boot._say):
        self.where = where
        self._find = find
        self._line = line
        self._say = say
        self._limit = None
        self._since = None
        self._said = False

    def step(self, paused, now):
        if not paused:
            self._since, self._said = None, False
            return
        if self._since is None:
            self._since = now
            if self._limit is None:  # at each pause until found (a process group or an
                self._limit = self._find()  # nginx may only exist by a later pause)
        if self._said or self._limit is None:
            return
        if now - self._since >= self._limit[0]:
            self._said = True
            self._say(self._line(self.where, now - self._since, self._limit))


class PauseReporter(object):
    """Keeps ``<status>/<pid>`` present (and fresh) exactly while this process is paused.

    The file is how the host learns that a user is inspecting this process, so that a
    source change does not kill it under them.
    """

    def __init__(self, directory):
        self.path = os.path.join(directory, str(os.getpid()))
        self._written = None

    def step(self, paused, now):
        """Write, refresh or remove the file as the state says."""
        if paused:
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


class PauseWatch(object):
    """One thread that looks at this process's pause state and hands it to each ``step``.

    Runs on a thread pydevd neither traces nor suspends ("suspend all threads" at a
    breakpoint would otherwise freeze it too), and again in each forked child (gunicorn's
    workers are forked from the debugged master; threads do not survive a fork).
    """

    def __init__(self, make_steps, paused=paused_threads, clock=time.time):
        self._make_steps = make_steps
        self._paused = paused
        self._clock = clock

    def run(self):
        steps = self._make_steps()
        while True:
            try:
                paused = self._paused()
                now = self._clock()
                for step in steps:
                    step(paused, now)
            except Exception as exc:
                boot._say("pause watch stopped (%s: %s)" % (type(exc).__name__, exc))
                return
            _sleep(PAUSE_POLL)

    def start(self):
        import threading

        thread = threading.Thread(target=self.run, name="smdebug-local-pause-watch")
        thread.daemon = True
        # pydevd's marks for its own threads (Thread does not declare them)
        thread.pydev_do_not_trace = True  # type: ignore[attr-defined]
        thread.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
        thread.start()
        return thread


# This process's pause watch (at most one: the debugger starts once per process).
_running: list = []


def watch(config):
    """Start what the configuration asks for while paused; return its PauseWatch, or None
    when nothing applies."""
    status = config.get("status")
    serving = config.get("role") == "serving"
    ranking = boot._sibling("_smdebug_local_ranks")
    rank = ranking.rank_of(os.environ)
    ranked = rank is not None and rank[1] > 1
    where = ranking.where(config, os.environ)

    def make_steps():
        steps = []
        if status and os.path.isdir(status):
            steps.append(PauseReporter(status).step)
        if serving:
            steps.append(PauseLimit(where, find_proxy, proxy_line).step)
        if ranked:
            steps.append(PauseLimit(where, find_collective_timeout, collective_line).step)
        return steps

    if not (status or serving or ranked):
        return None
    if _running:
        return _running[0]
    pause_watch = PauseWatch(make_steps)
    _running.append(pause_watch)
    pause_watch.start()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=lambda: _start_quietly(pause_watch))
    return pause_watch


def _gevent_patched():
    """True once gevent has monkey-patched ``threading`` in this process (a gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    try:
        return monkey is not None and bool(monkey.is_module_patched("threading"))
    except Exception:
        return False


def _start_quietly(pause_watch):
    """Start the watch in a forked child; a failure is one line, never a traceback.

    Not in a child forked by a gevent-patched process: that fork is nearly always
    ``subprocess`` about to exec (sagemaker-containers' workers run ``nvidia-smi`` on their
    first request), and a thread started there goes through gevent's patched ``threading``
    -- the child then never reached its exec and the request hung (gevent's own fork hooks
    also expect one thread). gunicorn forks its workers before they patch, so each worker
    still gets its watch.
    """
    if _gevent_patched():
        return
    try:
        pause_watch.start()
    except Exception as exc:
        boot._say("pause watch not started (%s: %s)" % (type(exc).__name__, exc))

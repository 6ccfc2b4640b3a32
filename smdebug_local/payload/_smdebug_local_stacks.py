"""smdebug-local's stack dumps: every thread's Python stack of a debugged process, on demand,
without pausing it, without ptrace and without any container capability.

A hung distributed job sits in C (a gloo/NCCL collective, a lock, a socket read), where a
debugger cannot pause it and py-spy would need ``SYS_PTRACE``. The standard library's
:mod:`faulthandler` can dump all threads' stacks from a C signal handler, which runs even
while the thread holding the GIL is inside C code. So each debugged process registers
:data:`SIGNAL` at start with a file of its own in :data:`DIRECTORY` (first line: a JSON
header naming the process), and ``smdebug-local stacks`` runs this file as a script in the
container (one ``docker exec`` per container): it signals every registered process and
prints what each appended.

Stdlib only, Python 3.8 syntax; registration never raises into the user's process.
"""

import json
import os
import signal
import sys
import time

DIRECTORY = "/tmp/smdebug-local-stacks"
# A real-time signal nobody uses by default (SIGUSR1/2 belong to servers: gunicorn,
# TorchServe, MPI launchers). Its number differs between C libraries, so each process
# writes the one it registered into its header.
SIGNAL_OFFSET = 5
# The collector: how long to wait for the dumps, and how long a dump must stop growing.
COLLECT_TIMEOUT = 1.5
SETTLE = 0.05

# The open dump file of this process (faulthandler writes to its descriptor from a signal
# handler, so it must stay open for the process's lifetime).
_open: list = []


def signal_number():
    """The signal this payload dumps stacks on, or None where there are no real-time
    signals (not Linux)."""
    rtmin = getattr(signal, "SIGRTMIN", None)
    return None if rtmin is None else int(rtmin) + SIGNAL_OFFSET


def register(label, directory=None):
    """Dump this process's stacks into ``<directory>/<pid>.txt`` whenever it gets the
    signal; ``label`` names the process in ``smdebug-local stacks``. Returns the file's
    path, or None when the signal is someone else's or unavailable."""
    import faulthandler

    directory = directory or DIRECTORY
    number = signal_number()
    if number is None or signal.getsignal(number) not in (signal.SIG_DFL, None):
        return None  # the user's own handler: leave it alone
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o1777)  # workers may run as another user than their parent
    path = os.path.join(directory, "%d.txt" % os.getpid())
    dump = open(path, "w")  # noqa: SIM115 -- kept open: faulthandler writes to it later
    header = {"label": label, "signal": number, "python": sys.executable}
    dump.write(json.dumps(header) + "\n")
    dump.flush()
    faulthandler.register(number, file=dump, all_threads=True, chain=False)
    _link_python(directory)
    while _open:  # a forked child re-registers: the parent's file is not its own
        _open.pop().close()
    _open.append(dump)
    return path


def _link_python(directory):
    """``<directory>/python``: an interpreter for the collector (``docker exec`` needs a
    program path, and images put Python in different places)."""
    link = os.path.join(directory, "python")
    if os.path.basename(sys.executable or "").startswith("python") and not os.path.lexists(link):
        try:
            os.symlink(sys.executable, link)
        except OSError:
            pass  # another process linked it first


def register_quietly(label, directory=None):
    try:
        return register(label, directory)
    except Exception as exc:
        sys.stderr.write(
            "smdebug-local: stacks not available here (%s: %s)\n" % (type(exc).__name__, exc)
        )
        return None


def follow_forks(label_of, directory=None):
    """Register again in each forked child (a DataLoader worker, a gunicorn worker), under
    ``label_of(pid)``: the parent's registration would dump into the parent's file."""
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(
            after_in_child=lambda: register_quietly(label_of(os.getpid()), directory)
        )


# The collector (run as a script in the container by ``smdebug-local stacks``).


def catches(pid, number, read=None):
    """True if process ``pid`` has a handler for signal ``number`` (``SigCgt`` in
    /proc/<pid>/status): it still runs the Python that registered, not a program it
    exec'd, and the signal cannot kill it."""
    try:
        text = (read or _read)("/proc/%d/status" % pid)
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    return False


def _read(path):
    with open(path) as f:
        return f.read()


def collect(directory=DIRECTORY, timeout=COLLECT_TIMEOUT, clock=time.monotonic):
    """Signal every registered process of this container and gather what each dumped:
    ``[{"pid", "label", "text"} or {"pid", "label", "note"}]``."""
    pending: list = []
    results: list = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return results
    for name in names:
        if not name.endswith(".txt") or not name[:-4].isdigit():
            continue
        pid, path = int(name[:-4]), os.path.join(directory, name)
        try:
            with open(path) as f:
                header = json.loads(f.readline())
            size = os.path.getsize(path)
        except (OSError, ValueError):
            continue
        label = header.get("label") or "pid %d" % pid
        if not os.path.exists("/proc/%d" % pid):
            _remove(path)  # the process ended
            continue
        if not catches(pid, int(header["signal"])):
            _remove(path)  # it exec'd another program (or reset the handler)
            continue
        try:
            os.kill(pid, int(header["signal"]))
        except OSError as exc:
            results.append({"pid": pid, "label": label, "note": "not signalled (%s)" % exc})
            continue
        pending.append((pid, label, path, size))
    deadline = clock() + timeout
    last_change = clock()
    sizes: dict = {}
    while pending and clock() < deadline:
        time.sleep(0.01)
        now_sizes = {p[0]: _size(p[2]) for p in pending}
        if now_sizes != sizes:
            sizes, last_change = now_sizes, clock()
        elif all(sizes[p[0]] > p[3] for p in pending) and clock() - last_change >= SETTLE:
            break
    for pid, label, path, size in pending:
        try:
            with open(path, "rb") as f:
                f.seek(size)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        if text.strip():
            results.append({"pid": pid, "label": label, "text": text})
        else:
            results.append({"pid": pid, "label": label, "note": "no stacks within %gs" % timeout})
    return results


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


if __name__ == "__main__":
    sys.stdout.write(json.dumps(collect()) + "\n")

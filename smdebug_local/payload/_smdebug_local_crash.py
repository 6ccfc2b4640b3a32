"""smdebug-local's post-mortem pause: a debugged process that crashes with no IDE attached
stops at the exception -- every frame of its traceback alive -- until someone attaches
(bounded), instead of exiting and taking its state with it.

Two ways a crash reaches us:

* an exception nobody caught: ``sys.excepthook`` / ``threading.excepthook`` (the training
  script, a rank, a processing script, a thread). With an IDE attached, debugpy's own
  "uncaught exceptions" setting already applies, so we only act when none is.
* an exception that escaped the user's code and is caught by the framework around it,
  which formats its traceback before it answers 500 (the SageMaker inference toolkits,
  sagemaker-containers, Flask, TorchServe) or ships it to the parent (a PyTorch DataLoader
  worker, a multiprocessing child): ``traceback.format_exception`` / ``print_exception``,
  which every one of them calls, while the exception is being handled. debugpy only stops
  there with "user-unhandled exceptions" on (off by default), so we stop, attached or not.

Continuing lets the process go on exactly as it would have: the hook returns and the
original excepthook / formatter runs. Stdlib only, Python 3.8 syntax; any failure here is
one line and the process goes on unpaused.
"""

import os
import sys
import threading
import time

try:  # the host package (tests, smdebug_local.payload)
    from . import _smdebug_local_boot as boot
except ImportError:  # in containers: the payload folder is on sys.path
    import _smdebug_local_boot as boot  # type: ignore[no-redef]

# How long an attach must have lasted (configurationDone answered) before we stop: the IDE
# sends its breakpoints and exception settings right after, and a stop before those arrive
# is dropped by some clients.
SETTLED = 0.3
POLL = 0.1
FORK_SETTLE = 2.0
# Where a caught exception is "a crash" outside serving: the frames that catch what a
# DataLoader worker's or a multiprocessing child's target raised, and report it.
CHILD_CATCHERS = (
    os.path.join("torch", "utils", "data", "_utils", "worker.py"),
    os.path.join("multiprocessing", "process.py"),
)
# Set on an exception once it paused (or timed out): a framework formats one exception
# several times (format_exc, then a logger), and a re-raise reaches the excepthook.
_SEEN = "_smdebug_local_post_mortem"
_LIBRARY_DIRS = ("site-packages", "dist-packages")


def is_user_file(filename, roots):
    """True if ``filename`` is the user's code: under one of ``roots`` (the container dirs
    of the run's path mappings), or, with none, any real file outside installed packages
    and the standard library."""
    if not filename or filename.startswith("<"):
        return False
    if roots:
        return any(filename.startswith(r.rstrip("/") + "/") for r in roots)
    stdlib = os.path.dirname(os.__file__)
    return not (filename.startswith(stdlib + "/") or any(d in filename for d in _LIBRARY_DIRS))


def frames_of(tb):
    """The traceback's frames, outermost (where it was caught) first."""
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def raising_frame(tb, roots):
    """``(filename, line)`` of the innermost user frame of a traceback (the innermost frame
    when none is the user's)."""
    frames = frames_of(tb)
    user = [f for f in frames if is_user_file(f[0].f_code.co_filename, roots)]
    frame, line = (user or frames)[-1]
    return frame.f_code.co_filename, line


def escaped_user_code(tb, roots, catchers=None):
    """True if the exception went through the user's code and was caught outside it (by
    one of ``catchers``, file name endings, when given)."""
    frames = frames_of(tb)
    if len(frames) < 2 or is_user_file(frames[0][0].f_code.co_filename, roots):
        return False
    if catchers is not None and not frames[0][0].f_code.co_filename.endswith(catchers):
        return False
    return any(is_user_file(f.f_code.co_filename, roots) for f, _ in frames[1:])


def caught_outside(tb, roots, catchers=None):
    """True if the frame that caught it (the traceback's first) is not the user's code (and
    is one of ``catchers``, when given): a framework wrapping the user's exception
    (``raise ClientError(...) from e``) raises from its own frames only."""
    frames = frames_of(tb)
    filename = frames[0][0].f_code.co_filename if frames else ""
    if not frames or is_user_file(filename, roots):
        return False
    return catchers is None or filename.endswith(catchers)


def origin(exc, roots):
    """The exception the user's code raised: a framework often wraps it (``raise
    ClientError(...) from e``), and the wrapper's traceback starts in the framework."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = exc.__cause__ or exc.__context__
        if inner is None or inner.__traceback__ is None:
            break
        if not any(
            is_user_file(f.f_code.co_filename, roots) for f, _ in frames_of(inner.__traceback__)
        ):
            break
        exc = inner
    return exc


def crash_line(who, exc, where, endpoint, ranked=False):
    """What the user reads when a process crashed and waits for them (``ranked``: it is a
    rank of a distributed job, whose other ranks then wait in their collectives)."""
    text = str(exc).strip().splitlines()
    detail = "%s: %s" % (type(exc).__name__, text[0]) if text else type(exc).__name__
    if len(detail) > 120:
        detail = detail[:117] + "..."
    line = (
        "%s crashed (%s) at %s:%d -- paused for post-mortem on %s; attach to inspect, "
        "continue to let it fail" % (who, detail, os.path.basename(where[0]), where[1], endpoint)
    )
    return line + ("; the other ranks wait for it" if ranked else "")


# The container's own output (its first process's stdout, what Docker logs). A crash line
# must not pass through the training toolkit's pipes: it scans them for exception names
# and would put our line into the job's failure message.
CONTAINER_OUTPUT = "/proc/1/fd/1"


def say_outside(message, path=CONTAINER_OUTPUT):
    """One ``smdebug-local:`` line on the container's output (stderr where that fails)."""
    try:
        with open(path, "w") as out:
            out.write("smdebug-local: %s\n" % message)
    except OSError:
        boot._say(message)


def _global_debugger():
    """pydevd's debugger object of this process (None before debugpy set it up)."""
    pydevd = sys.modules.get("pydevd")
    try:
        return None if pydevd is None else pydevd.get_global_debugger()
    except Exception:
        return None


def _stop(excinfo):
    """Stop this thread at the exception, as debugpy does for an uncaught one: a "stopped"
    event with reason exception, the traceback's frames and their locals."""
    debugpy = sys.modules.get("debugpy")
    trigger = getattr(debugpy, "trigger_exception_handler", None)
    if trigger is not None:  # debugpy 1.8.22+
        trigger(excinfo, as_uncaught=False)
        return
    # debugpy 1.8.21 (Python 3.8/3.9, no sys.monitoring): what 1.8.22 does, by hand.
    pydevd = sys.modules["pydevd"]
    py_db = pydevd.get_global_debugger()
    tb, frame = excinfo[2], None
    while tb is not None:
        if py_db.get_file_type(tb.tb_frame) != py_db.PYDEV_FILE:
            frame = tb.tb_frame
        tb = tb.tb_next
    if frame is None:
        return
    thread = threading.current_thread()
    info = py_db.set_additional_thread_info(thread)
    info.is_tracing += 1
    try:
        py_db.do_stop_on_unhandled_exception(thread, frame, None, excinfo)
    finally:
        info.is_tracing -= 1


class PostMortem(object):
    """The hooks of one debugged process (see the module docstring)."""

    def __init__(
        self,
        who,
        endpoint,
        seconds,
        roots,
        serving,
        ranked=False,
        say=say_outside,
        debugger=_global_debugger,
        stop=_stop,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        self.who = who
        self.endpoint = endpoint
        self.seconds = seconds
        self.roots = tuple(roots)
        self.serving = serving
        self.ranked = ranked
        self._say = say
        self._debugger = debugger
        self._stop = stop
        self._clock = clock
        self._sleep = sleep
        self._forked_at = None

    def rename(self, who):
        """A forked child (a DataLoader worker, a gunicorn worker) crashes under its own
        name, and its debugger is not yet settled (see _is_attached)."""
        self.who = who
        self._forked_at = self._clock()

    def _is_attached(self):
        """Whether an IDE is attached to this process (its configuration done).

        In a forked child, debugpy's new debugger says "attached" at first, whether or not
        an IDE is (about 0.3 s, measured), until its adapter has answered: there "attached"
        counts once it was seen false, or FORK_SETTLE after the fork."""
        db = self._debugger()
        try:
            attached = db is not None and bool(db.is_attached())
        except Exception:
            attached = False
        if self._forked_at is not None:
            if attached and self._clock() - self._forked_at < FORK_SETTLE:
                return False
            self._forked_at = None
        return attached

    def pause(self, excinfo, attached_too):
        """Wait (bounded) for an IDE, then stop at the exception. ``attached_too``: also
        stop when an IDE is already attached."""
        exc = excinfo[1]
        if exc is None or excinfo[2] is None or getattr(exc, _SEEN, False):
            return
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return
        try:
            setattr(exc, _SEEN, True)
        except Exception:
            pass
        if self._is_attached():
            if attached_too:
                self._stop(excinfo)
            return
        where = raising_frame(excinfo[2], self.roots)
        self._say(crash_line(self.who, exc, where, self.endpoint, self.ranked))
        if not self._wait_for_ide():
            self._say(
                "%s: nobody attached within %ds (--post-mortem-timeout); letting it fail"
                % (self.who, self.seconds)
            )
            return
        self._stop(excinfo)

    def _wait_for_ide(self):
        deadline = self._clock() + self.seconds
        since = None
        while self._clock() < deadline:
            if self._is_attached():
                since = since if since is not None else self._clock()
                if self._clock() - since >= SETTLED:
                    return True
            else:
                since = None
            self._sleep(POLL)
        return False

    def caught(self, exc, tb):
        """A framework formats an exception it caught: a crash if it escaped the user's
        handler (serving) or a DataLoader worker's / child's target."""
        catchers = None if self.serving else CHILD_CATCHERS
        if tb is None:
            return
        inner = origin(exc, self.roots)
        escaped = escaped_user_code(tb, self.roots, catchers)
        wrapped = inner is not exc and caught_outside(tb, self.roots, catchers)
        if not (escaped or wrapped):
            return  # not the user's exception, or the user's code handles it
        if inner is not exc:
            exc, tb = inner, inner.__traceback__
        self.pause((type(exc), exc, tb), attached_too=True)

    def install(self):
        import traceback

        excepthook, thread_hook = sys.excepthook, threading.excepthook

        def uncaught(*excinfo):
            self._guarded(lambda: self.pause(excinfo, attached_too=False))
            excepthook(*excinfo)

        def thread_uncaught(args):
            excinfo = (args.exc_type, args.exc_value, args.exc_traceback)
            self._guarded(lambda: self.pause(excinfo, attached_too=False))
            thread_hook(args)

        sys.excepthook = uncaught
        threading.excepthook = thread_uncaught
        for name in ("format_exception", "print_exception"):
            setattr(traceback, name, self._formatter(getattr(traceback, name)))

    def _formatter(self, original):
        def formatted(*args, **kwargs):
            # (etype, value, tb) on 3.8/3.9, also by keyword; (exc) also on 3.10+
            first = args[0] if args else kwargs.get("etype", kwargs.get("exc"))
            value = None  # type: object
            tb = None
            if isinstance(first, BaseException):
                value = first
            else:
                value = args[1] if len(args) > 1 else kwargs.get("value")
                tb = args[2] if len(args) > 2 else kwargs.get("tb")
            if isinstance(value, BaseException):
                self._guarded(lambda: self.caught(value, tb or value.__traceback__))
            return original(*args, **kwargs)

        formatted.__wrapped__ = original  # type: ignore[attr-defined]
        return formatted

    def _guarded(self, step):
        try:
            step()
        except Exception as exc:
            self._say("post-mortem pause failed (%s: %s)" % (type(exc).__name__, exc))


def install(config, who, endpoint, say=say_outside):
    """Install the hooks when the configuration asks for post-mortem pauses."""
    seconds = config.get("post_mortem")
    if not seconds:
        return None
    roots = [remote for _, remote in config.get("mappings") or []]
    roots += list((config.get("defer") or {}).get("roots") or [])
    rank = boot._sibling("_smdebug_local_ranks").rank_of(os.environ)
    serving = config.get("role") == "serving"
    ranked = rank is not None and rank[1] > 1
    post_mortem = PostMortem(who, endpoint, seconds, roots, serving, ranked, say)
    post_mortem.install()
    return post_mortem

"""The post-mortem pause: which exceptions are crashes, the line the user reads, and the
wait for an IDE -- with real tracebacks through code compiled under the container paths of
the user's code and of the frameworks that catch it, and a fake debugger and clock.

Runs under every host Python 3.8+ like the other payload tests (imported as in containers).
"""

from __future__ import annotations

import io
import sys
import threading
import traceback
from fractions import Fraction

import _smdebug_local_crash as crash
import pytest

ROOTS = ("/opt/ml/code",)
USER_FILE = "/opt/ml/code/inference.py"
USER = """\
def predict_fn(data):
    return parse(data)


def parse(data):
    raise ValueError("bad payload: " + data)  # raises


def call_library(fn, data):
    return fn(data)  # calls the library
"""
RAISE_LINE = 6
CALL_LINE = 10
LIBRARY = """\
def handle(fn, data):
    try:
        return fn(data)
    except Exception as exc:
        return exc


def wrap(fn, data):
    try:
        return fn(data)
    except Exception as exc:
        raise RuntimeError("model server error") from exc


def fail(data):
    raise KeyError(data)


def rewrap(fn, data):
    try:
        return fn(data)
    except Exception as exc:
        raise RuntimeError("model server error").with_traceback(exc.__traceback__)


def serve(wrapper, fn, data):
    return handle(lambda d: wrapper(fn, d), data)
"""
SERVING = "/opt/venv/lib/python3.11/site-packages/sagemaker_inference/transformer.py"
WORKER = "/opt/conda/lib/python3.10/site-packages/torch/utils/data/_utils/worker.py"
MULTIPROCESSING = "/usr/lib/python3.9/multiprocessing/process.py"


def module(source, filename):
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


USER_CODE = module(USER, USER_FILE)


def escaped(catcher_file=SERVING, fn=None, data="x"):
    """The exception the user's predict_fn raised, as the framework in ``catcher_file``
    caught it."""
    library = module(LIBRARY, catcher_file)
    return library["handle"](fn or USER_CODE["predict_fn"], data)


def wrapped(how="wrap", fn=None):
    """A framework's exception for what the user's code raised, caught by the framework:
    raised ``from`` it (``wrap``), or with its traceback (``rewrap``, as six.reraise in
    sagemaker-containers' error_wrapper)."""
    library = module(LIBRARY, SERVING)
    exc = library["serve"](library[how], fn or USER_CODE["predict_fn"], "x")
    assert isinstance(exc, RuntimeError)
    return exc


def files(tb):
    return [frame.f_code.co_filename for frame, _ in crash.frames_of(tb)]


# which files are the user's


def test_is_user_file_with_roots():
    assert crash.is_user_file("/opt/ml/code/inference.py", ROOTS)
    assert crash.is_user_file("/opt/ml/code/pkg/model.py", ["/opt/ml/code/"])
    assert not crash.is_user_file("/opt/ml/codex/inference.py", ROOTS)
    assert not crash.is_user_file("/opt/ml/code", ROOTS)
    assert not crash.is_user_file(SERVING, ROOTS)
    assert not crash.is_user_file("<string>", ROOTS)
    assert not crash.is_user_file("", ROOTS)
    assert not crash.is_user_file(None, ROOTS)
    assert crash.is_user_file("/workspace/train.py", ["/opt/ml/code", "/workspace"])


def test_is_user_file_without_roots_is_any_real_file_outside_packages_and_the_stdlib():
    assert crash.is_user_file("/opt/ml/code/inference.py", ())
    assert crash.is_user_file("/home/user/train.py", [])
    assert not crash.is_user_file(threading.__file__, ())
    assert not crash.is_user_file(traceback.__file__, ())
    assert not crash.is_user_file(SERVING, ())
    assert not crash.is_user_file("/usr/lib/python3/dist-packages/flask/app.py", ())
    assert not crash.is_user_file("<frozen runpy>", ())


# tracebacks


def test_frames_of_a_real_traceback_start_where_it_was_caught():
    exc = escaped()
    assert files(exc.__traceback__) == [SERVING, USER_FILE, USER_FILE]
    assert [line for _, line in crash.frames_of(exc.__traceback__)] == [3, 2, RAISE_LINE]
    assert crash.frames_of(None) == []


def test_raising_frame_is_the_innermost_user_frame():
    exc = escaped()
    assert crash.raising_frame(exc.__traceback__, ROOTS) == (USER_FILE, RAISE_LINE)
    # a library raised under the user's call: the user's line that called it
    library = module(LIBRARY, SERVING)
    exc = escaped(fn=lambda data: USER_CODE["call_library"](library["fail"], data))
    assert isinstance(exc, KeyError)
    assert crash.raising_frame(exc.__traceback__, ROOTS) == (USER_FILE, CALL_LINE)
    # no user frame at all: the innermost frame
    exc = escaped(fn=library["fail"])
    assert crash.raising_frame(exc.__traceback__, ROOTS) == (SERVING, 16)


def test_an_exception_caught_by_the_serving_framework_escaped_the_users_code():
    tb = escaped().__traceback__
    assert crash.escaped_user_code(tb, ROOTS)
    assert crash.escaped_user_code(tb, ())  # no roots: any file outside packages


@pytest.mark.parametrize(
    "catcher", [WORKER, MULTIPROCESSING], ids=["DataLoader", "multiprocessing"]
)
def test_an_exception_caught_by_a_child_catcher_escaped_the_users_code(catcher):
    tb = escaped(catcher).__traceback__
    assert crash.escaped_user_code(tb, ROOTS, crash.CHILD_CATCHERS)


def test_other_catchers_do_not_count_outside_serving():
    assert not crash.escaped_user_code(escaped().__traceback__, ROOTS, crash.CHILD_CATCHERS)
    other_worker = "/opt/venv/lib/python3.11/site-packages/mylib/data/_utils/worker2.py"
    assert not crash.escaped_user_code(
        escaped(other_worker).__traceback__, ROOTS, crash.CHILD_CATCHERS
    )


def test_what_the_users_code_caught_itself_or_never_reached_is_no_escape():
    # caught in the user's own code
    exc = escaped(USER_FILE.replace("inference", "handler"))
    assert files(exc.__traceback__)[0] == "/opt/ml/code/handler.py"
    assert not crash.escaped_user_code(exc.__traceback__, ROOTS)
    # only the library's frames
    library = module(LIBRARY, SERVING)
    exc = escaped(fn=library["fail"])
    assert not crash.escaped_user_code(exc.__traceback__, ROOTS)
    # one frame only
    try:
        library["fail"]("k")
    except KeyError as raised:
        exc = raised
    assert len(crash.frames_of(exc.__traceback__.tb_next)) == 1
    assert not crash.escaped_user_code(exc.__traceback__.tb_next, ROOTS)


def test_origin_is_the_users_exception_under_a_frameworks_wrapper():
    wrapper = wrapped()
    inner = wrapper.__cause__
    assert isinstance(inner, ValueError)
    assert crash.origin(wrapper, ROOTS) is inner
    assert crash.origin(inner, ROOTS) is inner


def test_origin_follows_the_context_too():
    library = module(
        "def convert(fn, data):\n    try:\n        return fn(data)\n    except Exception:\n        raise TypeError('cannot convert')\n",
        SERVING,
    )
    try:
        library["convert"](USER_CODE["predict_fn"], "x")
    except TypeError as exc:
        assert crash.origin(exc, ROOTS) is exc.__context__
        assert isinstance(exc.__context__, ValueError)


def test_origin_stays_when_the_inner_exception_is_the_librarys():
    library = module(LIBRARY, SERVING)
    wrapper = wrapped(fn=library["fail"])
    assert isinstance(wrapper.__cause__, KeyError)
    assert crash.origin(wrapped("rewrap", library["fail"]), ROOTS).__class__ is RuntimeError
    assert crash.origin(wrapper, ROOTS) is wrapper
    # an inner exception never raised (no traceback)
    bare = RuntimeError("outer")
    bare.__cause__ = ValueError("never raised")
    assert crash.origin(bare, ROOTS) is bare


def test_origin_ends_on_a_cycle():
    first, second = escaped(), escaped()
    first.__context__, second.__context__ = second, first
    assert crash.origin(first, ROOTS) is first


# the line


def test_crash_line():
    assert crash.crash_line(
        "serving algo-1",
        ValueError("bad payload: x\nsecond line"),
        (USER_FILE, 6),
        "localhost:5678",
    ) == (
        "serving algo-1 crashed (ValueError: bad payload: x) at inference.py:6 -- paused for "
        "post-mortem on localhost:5678; attach to inspect, continue to let it fail"
    )
    assert crash.crash_line("w", KeyError(), ("/opt/ml/code/a.py", 1), "h:1").startswith(
        "w crashed (KeyError) at a.py:1 -- "
    )
    assert crash.crash_line("w", ValueError("  \n "), ("a.py", 1), "h:1").startswith(
        "w crashed (ValueError) at a.py:1"
    )


def test_a_long_message_is_cut_at_120_characters():
    line = crash.crash_line("w", ValueError("x" * 200), ("a.py", 1), "h:1")
    detail = line[len("w crashed (") : line.index(") at a.py:1")]
    assert len(detail) == 120
    assert detail == "ValueError: " + "x" * 105 + "..."
    short = "ValueError: " + "x" * 108  # exactly 120: kept whole
    assert crash.crash_line("w", ValueError("x" * 108), ("a.py", 1), "h:1").startswith(
        f"w crashed ({short}) at"
    )


def test_a_rank_says_the_others_wait():
    line = crash.crash_line(
        "training algo-1 rank 1/2 (PyTorch)",
        RuntimeError("rank 1 gave up"),
        ("/opt/ml/code/train.py", 40),
        "localhost:5679",
        ranked=True,
    )
    assert line == (
        "training algo-1 rank 1/2 (PyTorch) crashed (RuntimeError: rank 1 gave up) at "
        "train.py:40 -- paused for post-mortem on localhost:5679; attach to inspect, continue "
        "to let it fail; the other ranks wait for it"
    )


def test_say_outside_writes_one_line_to_the_containers_output(tmp_path, capsys):
    out = tmp_path / "fd1"
    crash.say_outside("hello", str(out))
    assert out.read_text() == "smdebug-local: hello\n"
    crash.say_outside("no such output", str(tmp_path / "missing" / "fd1"))
    assert capsys.readouterr().err == "smdebug-local: no such output\n"


# the pause


class Machine:
    """A fake clock that moves only when slept on, and a debugger whose attach state is a
    function of that clock (``attached``: a list of [start, end) intervals)."""

    def __init__(self, attached=(), debugger=True):
        self.now = Fraction(0)
        self.attached = [(Fraction(a), Fraction(b)) for a, b in attached]
        self.has_debugger = debugger
        self.said: list = []
        self.stops: list = []
        self.slept: list = []
        self.events: list = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += Fraction(str(seconds))

    def is_attached(self):
        return any(a <= self.now < b for a, b in self.attached)

    def debugger(self):
        return self if self.has_debugger else None

    def say(self, line):
        self.said.append(line)
        self.events.append(("said", line))

    def stop(self, excinfo):
        self.stops.append((excinfo, self.now))
        self.events.append(("stop", excinfo[1]))

    def post_mortem(self, seconds=60, serving=True, ranked=False, who="serving algo-1"):
        return crash.PostMortem(
            who,
            "localhost:5678",
            seconds,
            ROOTS,
            serving,
            ranked,
            say=self.say,
            debugger=self.debugger,
            stop=self.stop,
            clock=self.clock,
            sleep=self.sleep,
        )


FOREVER = 10**6


def excinfo_of(exc):
    return (type(exc), exc, exc.__traceback__)


def line_for(exc, who="serving algo-1"):
    return crash.crash_line(who, exc, (USER_FILE, RAISE_LINE), "localhost:5678")


def test_not_attached_says_the_line_and_stops_once_an_ide_has_settled():
    machine = Machine(attached=[(1, FOREVER)])
    exc = escaped()
    machine.post_mortem().pause(excinfo_of(exc), attached_too=True)
    assert machine.said == [line_for(exc)]
    assert machine.stops == [(excinfo_of(exc), Fraction("1.3"))]  # attached at 1.0 + SETTLED
    assert set(machine.slept) == {crash.POLL}
    assert crash.SETTLED == 0.3 and crash.POLL == 0.1


def test_an_attach_that_does_not_last_settled_seconds_does_not_count():
    machine = Machine(attached=[(1, "1.2"), (2, FOREVER)])
    exc = escaped()
    machine.post_mortem().pause(excinfo_of(exc), attached_too=False)
    assert machine.stops == [(excinfo_of(exc), Fraction("2.3"))]
    assert machine.said == [line_for(exc)]


def test_nobody_attaching_lets_it_fail_after_the_timeout():
    machine = Machine()
    exc = escaped()
    machine.post_mortem(seconds=2).pause(excinfo_of(exc), attached_too=True)
    assert machine.said == [
        line_for(exc),
        "serving algo-1: nobody attached within 2s (--post-mortem-timeout); letting it fail",
    ]
    assert machine.stops == []
    assert machine.now == 2 and len(machine.slept) == 20


def test_no_debugger_yet_counts_as_not_attached():
    machine = Machine(attached=[(0, FOREVER)], debugger=False)
    machine.post_mortem(seconds=1).pause(excinfo_of(escaped()), attached_too=True)
    assert len(machine.said) == 2 and machine.stops == []


def test_a_debugger_that_fails_to_answer_counts_as_not_attached():
    machine = Machine()

    def broken():
        raise RuntimeError("no adapter")

    machine.is_attached = broken
    machine.post_mortem(seconds=1).pause(excinfo_of(escaped()), attached_too=True)
    assert len(machine.said) == 2 and machine.stops == []


def test_already_attached_a_caught_crash_stops_at_once_without_a_line():
    machine = Machine(attached=[(0, FOREVER)])
    exc = escaped()
    machine.post_mortem().pause(excinfo_of(exc), attached_too=True)
    assert machine.stops == [(excinfo_of(exc), 0)]
    assert machine.said == [] and machine.slept == []


def test_already_attached_an_uncaught_crash_is_left_to_debugpy():
    machine = Machine(attached=[(0, FOREVER)])
    exc = escaped()
    machine.post_mortem().pause(excinfo_of(exc), attached_too=False)
    assert machine.stops == [] and machine.said == [] and machine.slept == []
    assert exc._smdebug_local_post_mortem is True


def test_one_exception_pauses_once():
    machine = Machine()
    exc = escaped()
    post_mortem = machine.post_mortem(seconds=1)
    post_mortem.pause(excinfo_of(exc), attached_too=True)
    machine.attached = [(0, FOREVER)]
    post_mortem.pause(excinfo_of(exc), attached_too=True)  # formatted again, or re-raised
    post_mortem.pause(excinfo_of(exc), attached_too=False)
    assert len(machine.said) == 2 and machine.stops == []
    other = escaped()
    post_mortem.pause(excinfo_of(other), attached_too=True)
    assert machine.stops == [(excinfo_of(other), machine.now)]


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_interrupts_and_exits_are_not_crashes(kind):
    machine = Machine()
    try:
        raise kind()
    except kind as raised:
        exc = raised
    machine.post_mortem().pause(excinfo_of(exc), attached_too=True)
    assert machine.said == [] and machine.stops == []
    assert not hasattr(exc, "_smdebug_local_post_mortem")


def test_an_incomplete_excinfo_is_ignored():
    machine = Machine(attached=[(0, FOREVER)])
    post_mortem = machine.post_mortem()
    post_mortem.pause((None, None, None), attached_too=True)
    post_mortem.pause((ValueError, ValueError("never raised"), None), attached_too=True)
    assert machine.said == [] and machine.stops == []


def test_an_exception_that_refuses_attributes_still_pauses():
    class Slotted(Exception):
        __slots__ = ()

        def __setattr__(self, name, value):
            raise AttributeError(name)

    machine = Machine(attached=[(0, FOREVER)])
    try:
        raise Slotted("x")
    except Slotted as raised:
        exc = raised
    machine.post_mortem().pause(excinfo_of(exc), attached_too=True)
    assert machine.stops == [(excinfo_of(exc), 0)]


def test_a_forked_childs_inherited_attached_is_not_trusted_until_fork_settle():
    """The child's debugger says "attached" from the fork on; nobody answers it."""
    machine = Machine(attached=[(0, FOREVER)])
    post_mortem = machine.post_mortem()
    machine.now = Fraction(5)
    post_mortem.rename("serving algo-1, child process 42")
    assert post_mortem.who == "serving algo-1, child process 42"
    exc = escaped(WORKER)
    post_mortem.pause(excinfo_of(exc), attached_too=True)
    assert machine.said == [line_for(exc, "serving algo-1, child process 42")]
    assert crash.FORK_SETTLE == 2.0
    assert machine.stops == [(excinfo_of(exc), Fraction("7.3"))]  # 5 + FORK_SETTLE + SETTLED


def test_a_forked_childs_attached_counts_once_it_was_seen_false():
    machine = Machine(attached=[(0, "0.3"), (1, FOREVER)])
    post_mortem = machine.post_mortem()
    post_mortem.rename("training algo-1, child process 42")
    exc = escaped(WORKER)
    post_mortem.pause(excinfo_of(exc), attached_too=True)
    assert machine.said == [line_for(exc, "training algo-1, child process 42")]
    assert machine.stops == [(excinfo_of(exc), Fraction("1.3"))]


def test_a_forked_child_nobody_attaches_to_does_not_stop():
    machine = Machine(attached=[(0, "0.3")])
    post_mortem = machine.post_mortem(seconds=3)
    post_mortem.rename("training algo-1, child process 42")
    post_mortem.pause(excinfo_of(escaped(WORKER)), attached_too=True)
    assert machine.stops == [] and len(machine.said) == 2


# caught exceptions


def test_a_serving_crash_pauses_at_the_users_exception():
    machine = Machine(attached=[(0, FOREVER)])
    exc = escaped()
    machine.post_mortem(serving=True).caught(exc, exc.__traceback__)
    assert machine.stops == [(excinfo_of(exc), 0)]


def test_a_serving_crash_rewrapped_with_its_traceback_pauses_at_the_users_exception():
    machine = Machine(attached=[(0, FOREVER)])
    wrapper = wrapped("rewrap")
    assert files(wrapper.__traceback__)[-2:] == [USER_FILE, USER_FILE]
    machine.post_mortem(serving=True).caught(wrapper, wrapper.__traceback__)
    inner = wrapper.__context__
    assert isinstance(inner, ValueError)
    assert machine.stops == [((ValueError, inner, inner.__traceback__), 0)]


def test_a_serving_crash_wrapped_from_the_users_exception_pauses_at_it():
    machine = Machine(attached=[(0, FOREVER)])
    wrapper = wrapped("wrap")
    assert files(wrapper.__traceback__) == [SERVING, SERVING, SERVING]
    machine.post_mortem(serving=True).caught(wrapper, wrapper.__traceback__)
    inner = wrapper.__cause__
    assert machine.stops == [((ValueError, inner, inner.__traceback__), 0)]


def test_outside_serving_only_a_child_catcher_is_a_crash():
    machine = Machine(attached=[(0, FOREVER)])
    post_mortem = machine.post_mortem(serving=False)
    exc = escaped()
    post_mortem.caught(exc, exc.__traceback__)
    assert machine.stops == []
    exc = escaped(WORKER)
    post_mortem.caught(exc, exc.__traceback__)
    assert machine.stops == [(excinfo_of(exc), 0)]
    post_mortem.caught(exc, None)
    assert len(machine.stops) == 1


# the hooks


@pytest.fixture
def hooks():
    """What install() replaces, put back after the test."""
    saved = (
        sys.excepthook,
        threading.excepthook,
        traceback.format_exception,
        traceback.print_exception,
    )
    yield saved
    sys.excepthook, threading.excepthook = saved[0], saved[1]
    traceback.format_exception, traceback.print_exception = saved[2], saved[3]


def test_install_wraps_the_hooks_and_the_formatters_keep_their_output(hooks):
    _, _, format_exception, print_exception = hooks
    machine = Machine(attached=[(0, FOREVER)])
    machine.post_mortem().install()
    assert traceback.format_exception is not format_exception
    assert traceback.format_exception.__wrapped__ is format_exception
    assert traceback.print_exception.__wrapped__ is print_exception

    exc = escaped()
    expected = format_exception(type(exc), exc, exc.__traceback__)
    assert "bad payload: x" in expected[-1]
    assert traceback.format_exception(type(exc), exc, exc.__traceback__) == expected
    assert machine.stops == [(excinfo_of(exc), 0)]
    assert traceback.format_exception(type(exc), exc, exc.__traceback__, limit=1) == (
        format_exception(type(exc), exc, exc.__traceback__, limit=1)
    )
    assert len(machine.stops) == 1  # the same exception again

    exc = escaped()
    printed, expected_print = io.StringIO(), io.StringIO()
    print_exception(type(exc), exc, exc.__traceback__, file=expected_print)
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=printed)
    assert printed.getvalue() == expected_print.getvalue() == "".join(expected)
    assert machine.stops[1] == (excinfo_of(exc), 0)

    exc = escaped()
    try:
        raise exc
    except ValueError:
        text = traceback.format_exc()  # calls format_exception
    assert "bad payload: x" in text
    assert machine.stops[2][0][1] is exc


@pytest.mark.skipif(sys.version_info < (3, 10), reason="format_exception(exc) is 3.10+")
def test_the_formatters_exception_only_call_shape(hooks):
    _, _, format_exception, print_exception = hooks
    machine = Machine(attached=[(0, FOREVER)])
    machine.post_mortem().install()
    exc = escaped()
    assert traceback.format_exception(exc) == format_exception(exc)
    assert machine.stops == [(excinfo_of(exc), 0)]
    exc = escaped()
    printed, expected = io.StringIO(), io.StringIO()
    traceback.print_exception(exc, file=printed)
    print_exception(exc, file=expected)
    assert printed.getvalue() == expected.getvalue()
    assert machine.stops[1] == (excinfo_of(exc), 0)


def test_formatting_what_did_not_escape_the_users_code_does_not_pause(hooks):
    machine = Machine(attached=[(0, FOREVER)])
    machine.post_mortem().install()
    library = module(LIBRARY, SERVING)
    exc = escaped(fn=library["fail"])
    traceback.format_exception(type(exc), exc, exc.__traceback__)
    traceback.format_exception(None, None, None)
    assert machine.stops == []


def test_a_failing_pause_is_one_line_and_the_format_goes_on(hooks):
    _, _, format_exception, _ = hooks
    machine = Machine(attached=[(0, FOREVER)])

    def stop(excinfo):
        raise RuntimeError("debugger gone")

    post_mortem = machine.post_mortem()
    post_mortem._stop = stop
    post_mortem.install()
    exc = escaped()
    assert traceback.format_exception(type(exc), exc, exc.__traceback__) == format_exception(
        type(exc), exc, exc.__traceback__
    )
    assert machine.said == ["post-mortem pause failed (RuntimeError: debugger gone)"]


def test_the_excepthook_pauses_then_runs_the_original(hooks):
    machine = Machine(attached=[(1, FOREVER)])
    sys.excepthook = lambda *excinfo: machine.events.append(("original", excinfo))
    machine.post_mortem(who="training algo-1", serving=False).install()
    exc = escaped()
    sys.excepthook(*excinfo_of(exc))
    assert machine.events == [
        ("said", line_for(exc, "training algo-1")),
        ("stop", exc),
        ("original", excinfo_of(exc)),
    ]
    assert machine.stops[0][1] == Fraction("1.3")


def test_the_excepthook_leaves_an_attached_ide_to_debugpy(hooks):
    machine = Machine(attached=[(0, FOREVER)])
    sys.excepthook = lambda *excinfo: machine.events.append(("original", excinfo))
    machine.post_mortem().install()
    exc = escaped()
    sys.excepthook(*excinfo_of(exc))
    assert machine.events == [("original", excinfo_of(exc))]


def test_a_threads_uncaught_exception_pauses_then_runs_the_original(hooks):
    machine = Machine(attached=[(1, FOREVER)])
    threading.excepthook = lambda args: machine.events.append(
        ("original", args.exc_type, args.exc_value, args.thread.name)
    )
    machine.post_mortem(who="training algo-1", serving=False).install()
    thread = threading.Thread(target=USER_CODE["predict_fn"], args=("x",), name="loader")
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    (said, stop, original) = machine.events
    assert said[0] == "said" and said[1].startswith(
        "training algo-1 crashed (ValueError: bad payload: x) at inference.py:6 -- "
    )
    assert stop[0] == "stop" and isinstance(stop[1], ValueError)
    assert original == ("original", ValueError, stop[1], "loader")
    assert machine.stops[0][1] == Fraction("1.3")


def test_the_formatter_with_both_call_shapes():
    machine = Machine()
    post_mortem = machine.post_mortem()
    seen: list = []
    post_mortem.caught = lambda exc, tb: seen.append((exc, tb))
    calls: list = []

    def original(*args, **kwargs):
        calls.append((args, kwargs))
        return ["formatted"]

    formatted = post_mortem._formatter(original)
    assert formatted.__wrapped__ is original
    exc = escaped()
    other_tb = escaped().__traceback__
    assert formatted(type(exc), exc, other_tb, limit=3) == ["formatted"]
    assert formatted(exc) == ["formatted"]
    assert formatted(exc, chain=False) == ["formatted"]
    assert formatted(None, exc, None) == ["formatted"]
    assert formatted(type(exc), None, None) == ["formatted"]
    assert calls == [
        ((type(exc), exc, other_tb), {"limit": 3}),
        ((exc,), {}),
        ((exc,), {"chain": False}),
        ((None, exc, None), {}),
        ((type(exc), None, None), {}),
    ]
    assert seen == [
        (exc, other_tb),  # the traceback passed, not the exception's own
        (exc, exc.__traceback__),
        (exc, exc.__traceback__),
        (exc, exc.__traceback__),  # none passed: the exception's own
    ]


@pytest.mark.skipif(sys.version_info >= (3, 10), reason="etype= is a 3.8/3.9 keyword")
def test_the_formatters_keyword_call_shape_of_python_38(hooks):
    _, _, format_exception, _ = hooks
    machine = Machine(attached=[(0, FOREVER)])
    machine.post_mortem().install()
    exc = escaped()
    expected = format_exception(etype=type(exc), value=exc, tb=exc.__traceback__)
    assert traceback.format_exception(etype=type(exc), value=exc, tb=exc.__traceback__) == expected
    assert machine.stops == [(excinfo_of(exc), 0)]


def test_install_from_the_configuration(hooks, monkeypatch):
    said: list = []
    assert crash.install({}, "training algo-1", "localhost:5678", said.append) is None
    assert crash.install({"post_mortem": 0}, "w", "h:1", said.append) is None
    assert sys.excepthook is hooks[0]
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    config = {
        "post_mortem": 600,
        "mappings": [["/home/me/src", "/opt/ml/code"]],
        "defer": {"roots": ["/opt/ml/model/code"]},
        "role": "training",
    }
    post_mortem = crash.install(config, "training algo-1 rank 1/2", "localhost:5679", said.append)
    assert isinstance(post_mortem, crash.PostMortem)
    assert (post_mortem.who, post_mortem.endpoint, post_mortem.seconds) == (
        "training algo-1 rank 1/2",
        "localhost:5679",
        600,
    )
    assert post_mortem.roots == ("/opt/ml/code", "/opt/ml/model/code")
    assert (post_mortem.serving, post_mortem.ranked) == (False, True)
    assert sys.excepthook is not hooks[0] and threading.excepthook is not hooks[1]
    monkeypatch.delenv("RANK")
    serving = crash.install(dict(config, role="serving"), "serving algo-1", "h:1", said.append)
    assert (serving.serving, serving.ranked) == (True, False)
    assert said == []

"""`smdebug-local stacks` on the host: faulthandler's dumps parsed, the debugger's frames
trimmed, identical stacks grouped, and the text and JSON it prints.

The first fixture is real: a host Python process parks threads at known lines and dumps
them with ``faulthandler.dump_traceback(all_threads=True)``. The debugger's stacks are
written out as debugpy 1.8.22 shows them (paths as mounted in containers), torch's
all-reduce as a hung rank shows it.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest

from smdebug_local import stacks
from smdebug_local.compose import LABEL_RUN
from smdebug_local.payload import _smdebug_local_stacks as payload_stacks
from smdebug_local.stacks import Frame, Group, Process, Thread

# A process with three threads parked at known lines, and its main thread at module level;
# a fourth thread dumps all of them once each has reached its line.
PARKED = """\
import faulthandler
import queue
import sys
import threading
from datetime import datetime, timezone
import time

batches = queue.Queue()
gate = threading.Lock()
gate.acquire()
held = threading.Lock()
held.acquire()
MAIN_LINE = [n for n, text in enumerate(open(__file__), 1) if text.endswith("# main parks\\n")][0]


def load_batches():
    batches.get()  # loader parks


def reduce_gradients():
    gate.acquire()  # reducer parks


def parked(thread, where):
    frame = sys._current_frames().get(thread.ident)
    return frame is not None and where(frame)


def dump(loader, reducer, main):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        parked(loader, lambda f: f.f_code.co_name == "wait")
        and parked(reducer, lambda f: f.f_code.co_name == "reduce_gradients")
        and parked(main, lambda f: f.f_code.co_name == "<module>" and f.f_lineno == MAIN_LINE)
    ):
        time.sleep(0.001)
    faulthandler.dump_traceback(sys.stdout, all_threads=True)  # dumper dumps
    sys.stdout.flush()
    batches.put(None)
    gate.release()
    held.release()


loader = threading.Thread(target=load_batches)
reducer = threading.Thread(target=reduce_gradients)
loader.start()
reducer.start()
threading.Thread(target=dump, args=(loader, reducer, threading.main_thread())).start()
held.acquire()  # main parks
"""


def line_of(source: str, marker: str) -> int:
    (number,) = [n for n, text in enumerate(source.splitlines(), 1) if text.endswith(marker)]
    return number


@pytest.fixture(scope="module")
def real_dump(tmp_path_factory) -> tuple[str, str]:
    """(the script's path, what faulthandler dumped while its threads were parked)."""
    script = tmp_path_factory.mktemp("parked") / "train.py"
    script.write_text(PARKED)
    done = subprocess.run(
        [sys.executable, "-I", str(script)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return str(script), done.stdout


DEBUGPY = "/opt/smdebug-local/debugpy/1.8.22/debugpy/_vendored/pydevd"
BOOT = "/opt/smdebug-local/boot"
LIB = "/usr/lib/python3.11"
TORCH = "/opt/venv/lib/python3.11/site-packages/torch/distributed"

ALL_REDUCE = f"""\
Thread 0x00007f3b5c6fe740 (most recent call first):
  File "{TORCH}/distributed_c10d.py", line 2288 in all_reduce
  File "{TORCH}/c10d_logger.py", line 83 in wrapper
  File "/opt/ml/code/train.py", line 31 in <module>
"""
# The main thread stopped at a breakpoint in step() (debugpy's trace function is compiled:
# its first Python frame is do_wait_suspend).
PAUSED = f"""\
Current thread 0x00007f1e8c9fd740 (most recent call first):
  File "{LIB}/threading.py", line 331 in wait
  File "{LIB}/threading.py", line 629 in wait
  File "{DEBUGPY}/pydevd.py", line 2328 in _do_wait_suspend
  File "{DEBUGPY}/pydevd.py", line 2259 in do_wait_suspend
  File "/opt/ml/code/train.py", line 20 in step
  File "/opt/ml/code/train.py", line 12 in <module>
"""
# The same under Python 3.12+ (sys.monitoring): debugpy's frames start in its callback.
PAUSED_MONITORING = f"""\
Thread 0x00007f1e8c9fd740 (most recent call first):
  File "{LIB}/threading.py", line 355 in wait
  File "{LIB}/threading.py", line 655 in wait
  File "{DEBUGPY}/pydevd.py", line 2328 in _do_wait_suspend
  File "{DEBUGPY}/pydevd.py", line 2259 in do_wait_suspend
  File "{DEBUGPY}/_pydevd_sys_monitoring/_pydevd_sys_monitoring.py", line 1375 in _stop_on_breakpoint
  File "{DEBUGPY}/_pydevd_sys_monitoring/_pydevd_sys_monitoring.py", line 1466 in _internal_line_event
  File "{DEBUGPY}/_pydevd_sys_monitoring/_pydevd_sys_monitoring.py", line 1550 in _line_event
  File "/opt/ml/code/train.py", line 20 in step
  File "/opt/ml/code/train.py", line 12 in <module>
"""
# debugpy's own threads, as debugpy.listen() leaves them (captured from debugpy 1.8.22).
DEBUGGER_THREADS = f"""\
Thread 0x00007fdb425096c0 (most recent call first):
  File "{DEBUGPY}/_pydevd_bundle/pydevd_comm.py", line 229 in _read_line
  File "{DEBUGPY}/_pydevd_bundle/pydevd_comm.py", line 247 in _on_run
  File "{DEBUGPY}/_pydevd_bundle/pydevd_daemon_thread.py", line 53 in run
  File "{LIB}/threading.py", line 1045 in _bootstrap_inner
  File "{LIB}/threading.py", line 1002 in _bootstrap

Thread 0x00007fdb415076c0 (most recent call first):
  File "{LIB}/threading.py", line 331 in wait
  File "{LIB}/threading.py", line 629 in wait
  File "{DEBUGPY}/pydevd.py", line 326 in _on_run
  File "{DEBUGPY}/_pydevd_bundle/pydevd_daemon_thread.py", line 53 in run
  File "{LIB}/threading.py", line 1045 in _bootstrap_inner
  File "{LIB}/threading.py", line 1002 in _bootstrap
"""
# A crash with no IDE attached: the excepthook waits in the payload (nothing of the user's
# is left on the stack; the traceback's frames are alive in the exception).
POST_MORTEM = f"""\
Thread 0x00007f0a1c2d3740 (most recent call first):
  File "{BOOT}/_smdebug_local_crash.py", line 281 in _wait_for_ide
  File "{BOOT}/_smdebug_local_crash.py", line 265 in pause
  File "{BOOT}/_smdebug_local_crash.py", line 317 in <lambda>
  File "{BOOT}/_smdebug_local_crash.py", line 345 in _guarded
  File "{BOOT}/_smdebug_local_crash.py", line 318 in uncaught
"""
NO_FRAME = """\
Thread 0x00007f0a1c2d4740 (most recent call first):
  <no Python frame>
"""
# A thread the user started after debugpy had started: debugpy starts every new thread
# through its own wrapper (pydev_monkey's _NewThreadStartupWithTrace), which is then the
# outermost frame (captured from debugpy 1.8.22 after debugpy.listen()).
WRAPPED_THREAD = f"""\
Thread 0x00007fdb40d066c0 (most recent call first):
  File "{LIB}/threading.py", line 327 in wait
  File "{LIB}/threading.py", line 629 in wait
  File "/opt/ml/code/train.py", line 6 in prefetch
  File "{LIB}/threading.py", line 982 in run
  File "{LIB}/threading.py", line 1045 in _bootstrap_inner
  File "{LIB}/threading.py", line 1002 in _bootstrap
  File "{DEBUGPY}/_pydev_bundle/pydev_monkey.py", line 1150 in __call__
"""
WRAPPED_THREAD_PAUSED = f"""\
Thread 0x00007fdb40d066c0 (most recent call first):
  File "{LIB}/threading.py", line 331 in wait
  File "{LIB}/threading.py", line 629 in wait
  File "{DEBUGPY}/pydevd.py", line 2328 in _do_wait_suspend
  File "{DEBUGPY}/pydevd.py", line 2259 in do_wait_suspend
  File "/opt/ml/code/train.py", line 6 in prefetch
  File "{LIB}/threading.py", line 982 in run
  File "{LIB}/threading.py", line 1045 in _bootstrap_inner
  File "{LIB}/threading.py", line 1002 in _bootstrap
  File "{DEBUGPY}/_pydev_bundle/pydev_monkey.py", line 1150 in __call__
"""

MODULE = Frame("/opt/ml/code/train.py", 12, "<module>")
STEP = Frame("/opt/ml/code/train.py", 20, "step")
PAUSED_STATE = "paused in the debugger"
POST_MORTEM_STATE = "crashed; paused for post-mortem, waiting for a debugger"


def one(text: str) -> Thread:
    (thread,) = stacks.parse(text)
    return thread


def trimmed(text: str) -> Thread:
    thread = stacks.trim(one(text))
    assert thread is not None
    return thread


# parse


def test_a_real_dump_parses_into_its_threads_outermost_frame_first(real_dump):
    script, text = real_dump
    threads = stacks.parse(text)
    # faulthandler lists the newest thread first, and marks the one that dumped.
    dumper, reducer, loader, main = threads
    assert [t.current for t in threads] == [True, False, False, False]
    assert all(re.fullmatch(r"0x[0-9a-f]+", t.thread) for t in threads)
    assert len({t.thread for t in threads}) == 4
    assert main.frames == (Frame(script, line_of(PARKED, "# main parks"), "<module>"),)
    assert reducer.frames[-1] == Frame(
        script, line_of(PARKED, "# reducer parks"), "reduce_gradients"
    )
    assert dumper.frames[-1] == Frame(script, line_of(PARKED, "# dumper dumps"), "dump")
    assert [(f.file, f.function) for f in loader.frames] == [
        (threading.__file__, "_bootstrap"),
        (threading.__file__, "_bootstrap_inner"),
        (threading.__file__, "run"),
        (script, "load_batches"),
        (queue.__file__, "get"),
        (threading.__file__, "wait"),
    ]
    assert loader.frames[3].line == line_of(PARKED, "# loader parks")
    assert all(t.state == "" for t in threads)


def test_a_real_dump_summarises_where_each_thread_is(real_dump):
    _, text = real_dump
    dumper, reducer, loader, main = stacks.parse(text)
    assert main.summary() == f"<module> at train.py:{line_of(PARKED, '# main parks')}"
    assert reducer.summary() == f"reduce_gradients at train.py:{line_of(PARKED, '# reducer parks')}"
    assert loader.summary() == f"wait <- train.py:{line_of(PARKED, '# loader parks')}"
    assert dumper.summary() == f"dump at train.py:{line_of(PARKED, '# dumper dumps')}"


def test_a_real_dump_has_no_debugger_frames_to_trim(real_dump):
    _, text = real_dump
    for thread in stacks.parse(text):
        assert stacks.trim(thread) is thread


def test_several_dumps_and_odd_lines():
    text = "noise before any header\n" + ALL_REDUCE + "\n" + NO_FRAME + "  ...\n" + PAUSED
    threads = stacks.parse(text)
    assert [t.thread for t in threads] == [
        "0x00007f3b5c6fe740",
        "0x00007f0a1c2d4740",
        "0x00007f1e8c9fd740",
    ]
    assert [t.current for t in threads] == [False, False, True]
    assert threads[0].frames == (
        Frame("/opt/ml/code/train.py", 31, "<module>"),
        Frame(f"{TORCH}/c10d_logger.py", 83, "wrapper"),
        Frame(f"{TORCH}/distributed_c10d.py", 2288, "all_reduce"),
    )
    assert threads[1].frames == ()
    assert len(threads[2].frames) == 6
    assert stacks.parse("") == []
    assert stacks.parse('  File "/opt/ml/code/train.py", line 3 in f\n') == []  # no header


def test_file_names_with_spaces_and_quotes_parse_whole():
    text = 'Thread 0x1 (most recent call first):\n  File "/opt/ml/my code/a "b".py", line 7 in <lambda>\n'
    assert one(text).frames == (Frame('/opt/ml/my code/a "b".py', 7, "<lambda>"),)


# trim


def test_the_debuggers_own_threads_are_dropped():
    assert [stacks.trim(t) for t in stacks.parse(DEBUGGER_THREADS)] == [None, None]


@pytest.mark.parametrize("text", [PAUSED, PAUSED_MONITORING], ids=["settrace", "sys.monitoring"])
def test_a_thread_paused_at_a_breakpoint_keeps_the_users_frames(text):
    thread = trimmed(text)
    assert thread.frames == (MODULE, STEP)
    assert thread.state == PAUSED_STATE
    assert thread.thread == "0x00007f1e8c9fd740"
    assert thread.summary() == "step at train.py:20 (paused in the debugger)"


def test_a_crashed_thread_waiting_for_an_ide_says_so():
    thread = trimmed(POST_MORTEM)
    assert thread.frames == ()
    assert thread.state == POST_MORTEM_STATE
    assert thread.summary() == POST_MORTEM_STATE


def test_a_serving_crash_paused_in_the_formatter_keeps_the_frameworks_frames():
    flask = "/opt/venv/lib/python3.11/site-packages/flask/app.py"
    text = f"""\
Thread 0x2 (most recent call first):
  File "{BOOT}/_smdebug_local_crash.py", line 281 in _wait_for_ide
  File "{BOOT}/_smdebug_local_crash.py", line 265 in pause
  File "{BOOT}/_smdebug_local_crash.py", line 304 in caught
  File "{BOOT}/_smdebug_local_crash.py", line 345 in _guarded
  File "{BOOT}/_smdebug_local_crash.py", line 334 in formatted
  File "{LIB}/traceback.py", line 183 in format_exc
  File "{flask}", line 1414 in log_exception
  File "{flask}", line 1490 in handle_exception
"""
    thread = trimmed(text)
    assert thread.frames == (
        Frame(flask, 1490, "handle_exception"),
        Frame(flask, 1414, "log_exception"),
        Frame(f"{LIB}/traceback.py", 183, "format_exc"),
    )
    assert thread.state == POST_MORTEM_STATE
    assert thread.summary() == f"format_exc ({POST_MORTEM_STATE})"


def test_a_thread_without_debugger_frames_is_kept_as_it_is():
    thread = one(ALL_REDUCE)
    assert stacks.trim(thread) is thread
    assert stacks.trim(one(NO_FRAME)) == one(NO_FRAME)
    assert one(NO_FRAME).summary() == "(no Python frames)"


def test_a_user_thread_running_the_debuggers_trace_function_loses_only_those_frames():
    text = f"""\
Thread 0x3 (most recent call first):
  File "{DEBUGPY}/_pydevd_bundle/pydevd_frame.py", line 988 in trace_dispatch
  File "/opt/ml/code/train.py", line 20 in step
  File "/opt/ml/code/train.py", line 12 in <module>
"""
    thread = trimmed(text)
    assert thread.frames == (MODULE, STEP)
    assert thread.state == ""
    assert thread.summary() == "step at train.py:20"


def test_a_thread_started_under_the_debugger_is_the_users():
    thread = stacks.trim(one(WRAPPED_THREAD))
    assert thread is not None
    assert [f.function for f in thread.frames] == [
        "_bootstrap",
        "_bootstrap_inner",
        "run",
        "prefetch",
        "wait",
        "wait",
    ]
    assert thread.state == ""
    assert thread.summary() == "wait <- train.py:6"


def test_a_paused_thread_started_under_the_debugger_keeps_the_users_frames():
    thread = trimmed(WRAPPED_THREAD_PAUSED)
    assert [f.function for f in thread.frames] == [
        "_bootstrap",
        "_bootstrap_inner",
        "run",
        "prefetch",
    ]
    assert thread.state == PAUSED_STATE
    assert thread.summary() == "prefetch at train.py:6 (paused in the debugger)"


# Frame and summary


def test_which_frames_are_the_users():
    assert Frame("/opt/ml/code/train.py", 1, "f").is_user
    assert Frame("/tmp/pytest-of-x/train.py", 1, "f").is_user
    assert not Frame(f"{TORCH}/distributed_c10d.py", 1, "all_reduce").is_user
    assert not Frame("/usr/lib/python3/dist-packages/yaml/x.py", 1, "f").is_user
    assert not Frame(f"{LIB}/threading.py", 1, "wait").is_user
    assert not Frame("<frozen importlib._bootstrap>", 1, "_find_and_load").is_user
    assert not Frame("<string>", 1, "f").is_user
    assert Frame("/opt/ml/code/train.py", 31, "f").short() == "train.py:31"
    assert Frame("train.py", 4, "f").short() == "train.py:4"


def test_summaries():
    assert one(ALL_REDUCE).summary() == "all_reduce <- train.py:31"
    only_library = Thread("0x1", False, (Frame(f"{LIB}/threading.py", 331, "wait"),))
    assert only_library.summary() == "wait"
    module = Thread("0x1", False, (Frame("/opt/ml/code/train.py", 12, "<module>"),))
    assert module.summary() == "<module> at train.py:12"
    # the innermost user frame under library frames, not the outermost
    nested = Thread(
        "0x1",
        False,
        (MODULE, STEP, Frame(f"{LIB}/threading.py", 629, "wait")),
        "paused in the debugger",
    )
    assert nested.summary() == "wait <- train.py:20 (paused in the debugger)"
    assert Thread("0x1", False, ()).summary() == "(no Python frames)"


# group


def process(label: str, *threads: Thread, note: str | None = None) -> Process:
    return Process(label, "algo-1", "ranks-algo-1-1", 100, list(threads), note)


def test_identical_stacks_group_in_the_natural_order_of_their_processes():
    reduce, module = one(ALL_REDUCE), trimmed(PAUSED)
    processes = [
        process("rank 10/12", reduce),
        process("rank 1/12", module),
        process("rank 2/12", reduce),
        process("rank 0/12", reduce),
        process("rank 11/12", module),
    ]
    groups = stacks.group(processes)
    assert groups == [
        Group(
            [
                ("rank 0/12", reduce.thread),
                ("rank 2/12", reduce.thread),
                ("rank 10/12", reduce.thread),
            ],
            reduce,
        ),
        Group([("rank 1/12", module.thread), ("rank 11/12", module.thread)], module),
    ]


def test_thread_ids_and_current_do_not_split_a_group_but_the_state_does():
    a = Thread("0xa", True, (MODULE, STEP))
    b = Thread("0xb", False, (MODULE, STEP))
    paused = Thread("0xc", False, (MODULE, STEP), PAUSED_STATE)
    groups = stacks.group([process("rank 1", b, paused), process("rank 0", a)])
    assert [g.members for g in groups] == [
        [("rank 0", "0xa"), ("rank 1", "0xb")],
        [("rank 1", "0xc")],
    ]
    assert groups[0].thread is a and groups[1].thread is paused
    assert stacks.group([]) == []
    assert stacks.group([process("algo-2", note="not reached")]) == []


def test_natural_order():
    labels = [
        "training algo-2 rank 10/16",
        "training algo-10 rank 1/16",
        "training algo-2 rank 9/16",
    ]
    assert sorted(labels, key=stacks._natural) == [
        "training algo-2 rank 9/16",
        "training algo-2 rank 10/16",
        "training algo-10 rank 1/16",
    ]


# render and as_json


def rendered_processes() -> list[Process]:
    reduce, paused = one(ALL_REDUCE), trimmed(PAUSED)
    module = Thread("0x00007f3b5c6fe741", False, (Frame("/opt/ml/code/train.py", 40, "<module>"),))
    return [
        process("rank 0/2", reduce),
        process("rank 1/2", module, paused),
        Process(
            "algo-2",
            "algo-2",
            "ranks-algo-2-1",
            None,
            note="no debugged Python process has started in it (yet)",
        ),
        process("rank 2/2", reduce),
    ]


def test_render():
    text = stacks.render("r-20260101-1", "driver.py", rendered_processes(), 0.1234)
    assert text == "\n".join(
        [
            "run r-20260101-1 (driver.py): 4 process(es), 3 distinct stack(s), collected in 0.12 s",
            "  rank 0/2 · rank 2/2: all_reduce <- train.py:31",
            "  rank 1/2 [thread 0x00007f3b5c6fe741]: <module> at train.py:40",
            "  rank 1/2 [thread 0x00007f1e8c9fd740]: step at train.py:20 (paused in the debugger)",
            "  algo-2: no debugged Python process has started in it (yet)",
            "",
            "rank 0/2 · rank 2/2:",
            '  File "/opt/ml/code/train.py", line 31, in <module>',
            f'  File "{TORCH}/c10d_logger.py", line 83, in wrapper',
            f'  File "{TORCH}/distributed_c10d.py", line 2288, in all_reduce',
            "",
            "rank 1/2 [thread 0x00007f3b5c6fe741]:",
            '  File "/opt/ml/code/train.py", line 40, in <module>',
            "",
            "rank 1/2 [thread 0x00007f1e8c9fd740]:",
            '  File "/opt/ml/code/train.py", line 12, in <module>',
            '  File "/opt/ml/code/train.py", line 20, in step',
            "  (paused in the debugger)",
        ]
    )


def test_render_with_nothing_collected():
    assert stacks.render("r1", "train.py", [], 0.0) == (
        "run r1 (train.py): 0 process(es), 0 distinct stack(s), collected in 0.00 s"
    )


def test_as_json():
    # as `stacks --json` prints it
    doc = json.loads(
        json.dumps(stacks.as_json("r1", "driver.py", rendered_processes()[:3], 0.12345))
    )
    assert doc["run"] == "r1" and doc["script"] == "driver.py" and doc["seconds"] == 0.123
    assert [p["label"] for p in doc["processes"]] == ["rank 0/2", "rank 1/2", "algo-2"]
    assert doc["processes"][2] == {
        "label": "algo-2",
        "service": "algo-2",
        "container": "ranks-algo-2-1",
        "pid": None,
        "threads": [],
        "note": "no debugged Python process has started in it (yet)",
    }
    assert doc["processes"][0]["threads"][0] == {
        "thread": "0x00007f3b5c6fe740",
        "current": False,
        "frames": [
            {"file": "/opt/ml/code/train.py", "line": 31, "function": "<module>"},
            {"file": f"{TORCH}/c10d_logger.py", "line": 83, "function": "wrapper"},
            {"file": f"{TORCH}/distributed_c10d.py", "line": 2288, "function": "all_reduce"},
        ],
        "state": "",
    }
    assert doc["groups"] == [
        {
            "members": [{"label": "rank 0/2", "thread": "0x00007f3b5c6fe740"}],
            "summary": "all_reduce <- train.py:31",
            "state": "",
            "frames": doc["processes"][0]["threads"][0]["frames"],
        },
        {
            "members": [{"label": "rank 1/2", "thread": "0x00007f3b5c6fe741"}],
            "summary": "<module> at train.py:40",
            "state": "",
            "frames": [{"file": "/opt/ml/code/train.py", "line": 40, "function": "<module>"}],
        },
        {
            "members": [{"label": "rank 1/2", "thread": "0x00007f1e8c9fd740"}],
            "summary": "step at train.py:20 (paused in the debugger)",
            "state": PAUSED_STATE,
            "frames": [
                {"file": "/opt/ml/code/train.py", "line": 12, "function": "<module>"},
                {"file": "/opt/ml/code/train.py", "line": 20, "function": "step"},
            ],
        },
    ]


# processes_of and collect


def collector_answer() -> str:
    return json.dumps(
        [
            {
                "pid": 41,
                "label": "training algo-1 rank 0/2 (PyTorch)",
                "text": DEBUGGER_THREADS + "\n" + ALL_REDUCE,
            },
            {
                "pid": 42,
                "label": "training algo-1 rank 1/2 (PyTorch)",
                "text": PAUSED + "\n" + POST_MORTEM + "\n" + DEBUGGER_THREADS,
            },
            {
                "pid": 43,
                "label": "training algo-1, child process 43",
                "note": "no stacks within 1.5s",
            },
        ]
    )


def test_the_collectors_answer_becomes_processes_without_the_debuggers_threads():
    found = stacks.processes_of("algo-1", "ranks-algo-1-1", collector_answer())
    assert found == [
        Process(
            "training algo-1 rank 0/2 (PyTorch)", "algo-1", "ranks-algo-1-1", 41, [one(ALL_REDUCE)]
        ),
        Process(
            "training algo-1 rank 1/2 (PyTorch)",
            "algo-1",
            "ranks-algo-1-1",
            42,
            [trimmed(PAUSED), trimmed(POST_MORTEM)],
        ),
        Process(
            "training algo-1, child process 43",
            "algo-1",
            "ranks-algo-1-1",
            43,
            [],
            "no stacks within 1.5s",
        ),
    ]
    assert stacks.processes_of("algo-1", "c", "") == []
    assert stacks.processes_of("algo-1", "c", "[]\n") == []


class FakeContainer:
    def __init__(self, name, service, status="running", answer=None, error=None):
        self.name, self.status = name, status
        self.labels = {stacks.SERVICE_LABEL: service} if service else {}
        self.answer, self.error = answer, error
        self.calls: list = []

    def exec_run(self, cmd, **kwargs):
        self.calls.append((cmd, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


class FakeEngine:
    def __init__(self, containers):
        self._containers = containers
        self.asked: list = []

    def containers(self, label, value):
        self.asked.append((label, value))
        return self._containers


def test_collect_asks_each_running_container_once():
    answered = FakeContainer("r-algo-1-1", "algo-1", answer=(0, (collector_answer().encode(), b"")))
    gone = FakeContainer("r-algo-2-1", "algo-2", error=RuntimeError("container is not running"))
    fresh = FakeContainer("r-algo-3-1", None, answer=(1, (b"", b"no such file")))
    stopped = FakeContainer("r-algo-4-1", "algo-4", status="exited")
    engine = FakeEngine([answered, gone, fresh, stopped])
    found, seconds = stacks.collect(engine, "r1")
    assert engine.asked == [(LABEL_RUN, "r1")]
    assert [(p.label, p.service, p.container, p.pid, p.note) for p in found] == [
        ("training algo-1 rank 0/2 (PyTorch)", "algo-1", "r-algo-1-1", 41, None),
        ("training algo-1 rank 1/2 (PyTorch)", "algo-1", "r-algo-1-1", 42, None),
        ("training algo-1, child process 43", "algo-1", "r-algo-1-1", 43, "no stacks within 1.5s"),
        ("algo-2", "algo-2", "r-algo-2-1", None, "not reached (container is not running)"),
        (
            "r-algo-3-1",
            "r-algo-3-1",
            "r-algo-3-1",
            None,
            "no debugged Python process has started in it (yet)",
        ),
    ]
    assert answered.calls == [(stacks.COLLECTOR, {"user": "root", "demux": True})]
    assert stopped.calls == []
    assert 0 <= seconds < 5


def test_collect_for_one_target_asks_only_its_containers():
    one_ = FakeContainer("r-algo-1-1", "algo-1", answer=(0, (b"[]", None)))
    other = FakeContainer("r-algo-2-1", "algo-2", answer=(0, (b"[]", None)))
    found, _ = stacks.collect(FakeEngine([one_, other]), "r1", target="algo-2")
    assert found == []
    assert one_.calls == [] and len(other.calls) == 1
    assert stacks.collect(FakeEngine([]), "r1")[0] == []


def test_the_collector_runs_the_payloads_script_with_the_linked_python():
    assert stacks.COLLECTOR[0] == f"{payload_stacks.DIRECTORY}/python"
    assert stacks.COLLECTOR == [
        "/tmp/smdebug-local-stacks/python",
        "-S",
        "-E",
        "/opt/smdebug-local/boot/_smdebug_local_stacks.py",
    ]


NOW = datetime(2026, 12, 5, 1, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "line, age",
    [
        (b"2026-12-05T00:55:00.250000000Z epoch 3\n", 299.75),
        (b"2026-12-05T00:59:59Z x", 1.0),
        ("2026-12-05T01:00:00.000001Z", 0.0),  # no negative ages (a clock a bit ahead)
        (b"", None),
        (b"no timestamp here", None),
    ],
)
def test_the_age_of_a_containers_last_output(line, age):
    found = stacks.last_output_age(line, NOW)
    assert found == (pytest.approx(age) if age is not None else None)


class QuietContainer:
    def __init__(self, name, status, logs):
        self.name, self.status, self._logs = name, status, logs
        self.labels = {"com.docker.compose.service": f"{name}-svc"}

    def logs(self, tail, timestamps):
        assert (tail, timestamps) == (1, True)
        if isinstance(self._logs, Exception):
            raise self._logs
        return self._logs


def test_status_names_running_containers_quiet_for_five_minutes():
    quiet = b"2026-12-05T00:50:00Z last words\n"
    lines = stacks.quiet_containers(
        [
            QuietContainer("a", "running", quiet),
            QuietContainer("b", "running", b"2026-12-05T00:58:00Z recent\n"),
            QuietContainer("c", "exited", quiet),  # ended: not a hang
            QuietContainer("d", "running", RuntimeError("gone")),  # removed in between
            QuietContainer("e", "running", b""),  # printed nothing yet
        ],
        NOW,
    )
    assert lines == [
        "a-svc: no output for 10 min -- if it hangs, `smdebug-local stacks` shows where "
        "each of its processes is"
    ]

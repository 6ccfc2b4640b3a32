"""Stack dumps in the container: each debugged process registers a faulthandler signal with
a file of its own, and the collector signals every registered process and returns what
each dumped -- for real, with child processes of this interpreter.

Runs under every host Python 3.8+ like the other payload tests (imported as in containers).
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import stat
import subprocess
import sys

import _smdebug_local_stacks as stacks
import pytest

NUMBER = stacks.signal_number()
PAYLOAD = os.path.dirname(os.path.abspath(stacks.__file__))

# A debugged process: registers, parks a worker thread and its main thread at known lines,
# says "ready" once both are there, and ends when its stdin closes.
PARKED = """\
import os
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import _smdebug_local_stacks as stacks

MAIN_LINE = [n for n, text in enumerate(open(__file__), 1) if text.endswith("# parks main\\n")][0]
event = threading.Event()


def parked_worker():
    event.wait()  # parks worker


def parked_main():
    sys.stdin.read()  # parks main


def report(worker, main):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        frames = sys._current_frames()
        top_of_worker, top_of_main = frames.get(worker.ident), frames.get(main.ident)
        if (
            top_of_worker is not None
            and top_of_worker.f_code.co_name == "wait"
            and top_of_main is not None
            and top_of_main.f_code.co_name == "parked_main"
            and top_of_main.f_lineno == MAIN_LINE
        ):
            break
        time.sleep(0.001)
    sys.stdout.write("ready %s\\n" % path)
    sys.stdout.flush()


path = stacks.register(sys.argv[3], directory=sys.argv[2])
worker = threading.Thread(target=parked_worker, daemon=True)
worker.start()
threading.Thread(target=report, args=(worker, threading.main_thread()), daemon=True).start()
parked_main()
"""


def line_of(marker):
    (number,) = [n for n, text in enumerate(PARKED.splitlines(), 1) if text.endswith(marker)]
    return number


class Child:
    """A child Python process, ended (stdin closed, then killed) when the test ends."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def readline(self):
        return self.proc.stdout.readline()

    def alive(self):
        return self.proc.poll() is None

    def end(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def children():
    started = []

    def start(argv):
        child = Child(argv)
        started.append(child)
        return child

    yield start
    for child in started:
        child.end()


@pytest.fixture
def parked(children, tmp_path):
    """A registered child with its threads parked: (child, directory, its script)."""
    directory = tmp_path / "stacks"
    script = tmp_path / "train.py"
    script.write_text(PARKED)
    child = children(
        [
            sys.executable,
            "-S",
            str(script),
            PAYLOAD,
            str(directory),
            "training algo-1 rank 3/4 (PyTorch)",
        ]
    )
    assert child.readline() == f"ready {directory / f'{child.pid}.txt'}\n"
    return child, directory, str(script)


@pytest.fixture
def registered():
    """For registrations in this process: undone (the signal and the open dump file)."""
    yield
    faulthandler.unregister(NUMBER)
    while stacks._open:
        stacks._open.pop().close()


def quiet_child(children, code):
    """A child that runs ``code``, says "ready" and waits for its stdin to close."""
    child = children(
        [
            sys.executable,
            "-S",
            "-c",
            code
            + "\nimport sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()",
        ]
    )
    assert child.readline() == "ready\n"
    return child


def write_header(directory, pid, header):
    path = directory / f"{pid}.txt"
    path.write_text(json.dumps(header) + "\n")
    return path


# register


def test_the_signal_is_a_real_time_one_past_sigrtmin():
    assert stacks.signal_number() == int(signal.SIGRTMIN) + 5
    assert stacks.signal_number() <= int(signal.SIGRTMAX)


def test_register_writes_a_header_and_links_this_python(tmp_path, registered):
    directory = tmp_path / "new" / "stacks"
    path = stacks.register("serving algo-1", directory=str(directory))
    assert path == str(directory / f"{os.getpid()}.txt")
    with open(path) as f:
        lines = f.read().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"label": "serving algo-1", "signal": NUMBER, "python": sys.executable}
    ]
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o1777
    assert os.readlink(str(directory / "python")) == sys.executable
    assert len(stacks._open) == 1 and stacks._open[0].name == path
    assert not stacks._open[0].closed
    # Only a C handler: the signal still has no Python-level one.
    assert signal.getsignal(NUMBER) == signal.SIG_DFL


def test_registering_again_keeps_only_the_new_file_open(tmp_path, registered):
    """As a forked child does: the parent's file (and pid) is not its own."""
    first = stacks.register("training algo-1", directory=str(tmp_path))
    parents = stacks._open[0]
    os.remove(first)  # (the same pid here: the second registration writes it again)
    second = stacks.register("training algo-1, child process 7", directory=str(tmp_path))
    assert parents.closed
    assert len(stacks._open) == 1 and stacks._open[0].name == second
    with open(second) as f:
        assert json.loads(f.readline())["label"] == "training algo-1, child process 7"


def test_an_existing_link_is_left_alone(tmp_path, registered):
    os.symlink("/usr/bin/python3", str(tmp_path / "python"))
    assert stacks.register("x", directory=str(tmp_path)) is not None
    assert os.readlink(str(tmp_path / "python")) == "/usr/bin/python3"


@pytest.mark.parametrize(
    "handler", [lambda number, frame: None, signal.SIG_IGN], ids=["handler", "ignored"]
)
def test_a_signal_with_a_python_level_handler_is_left_alone(tmp_path, handler):
    previous = signal.signal(NUMBER, handler)
    try:
        assert stacks.register("x", directory=str(tmp_path / "stacks")) is None
    finally:
        signal.signal(NUMBER, previous)
    assert not (tmp_path / "stacks").exists()
    assert stacks._open == []


def test_register_quietly_says_one_line_instead_of_raising(tmp_path, capsys):
    blocker = tmp_path / "stacks"
    blocker.write_text("a file where the directory should be")
    assert stacks.register_quietly("x", directory=str(blocker)) is None
    err = capsys.readouterr().err
    assert err.startswith("smdebug-local: stacks not available here (FileExistsError: ")
    assert err.count("\n") == 1 and err.endswith(")\n")
    assert stacks._open == []


# catches


STATUS = """\
Name:\tpython3
State:\tS (sleeping)
Pid:\t7
SigQ:\t0/63471
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000001001000
SigCgt:\t%s
CapInh:\t0000000000000000
"""


def test_catches_reads_the_bit_of_the_signal_in_sigcgt():
    asked = []

    def read(path):
        asked.append(path)
        return STATUS % "0000004000004002"  # signals 2 (SIGINT), 15 and 39

    assert stacks.catches(7, 39, read)
    assert stacks.catches(7, 2, read)
    assert stacks.catches(7, 15, read)
    assert not stacks.catches(7, 38, read)
    assert not stacks.catches(7, 40, read)
    assert not stacks.catches(7, 1, read)
    assert asked == ["/proc/7/status"] * 6
    assert stacks.catches(7, 64, lambda path: STATUS % "8000000000000000")
    assert not stacks.catches(7, 63, lambda path: STATUS % "8000000000000000")


def test_catches_is_false_without_a_status_or_its_line():
    def gone(path):
        raise FileNotFoundError(path)

    assert not stacks.catches(7, 39, gone)
    assert not stacks.catches(7, 39, lambda path: "Name:\tpython3\n")


def test_catches_reads_proc_for_real(children):
    child = quiet_child(
        children, "import faulthandler, signal; faulthandler.register(signal.SIGRTMIN + 5)"
    )
    plain = quiet_child(children, "")
    assert stacks.catches(child.pid, NUMBER)
    assert not stacks.catches(plain.pid, NUMBER)


# collect


def test_collect_signals_a_registered_process_and_returns_its_stacks(parked):
    child, directory, script = parked
    worker = f'  File "{script}", line {line_of("# parks worker")} in parked_worker'
    main = f'  File "{script}", line {line_of("# parks main")} in parked_main'
    module = f'  File "{script}", line {line_of("parked_main()")} in <module>'
    for _ in range(2):  # each collection returns that dump only
        results = stacks.collect(str(directory))
        assert [sorted(r) for r in results] == [["label", "pid", "text"]]
        (result,) = results
        assert result["pid"] == child.pid
        assert result["label"] == "training algo-1 rank 3/4 (PyTorch)"
        lines = result["text"].splitlines()
        assert lines.count(worker) == 1 and lines.count(main) == 1 and lines.count(module) == 1
        assert lines.index(main) + 1 == lines.index(module)  # most recent call first
        assert lines[0].endswith("(most recent call first):")
        assert child.alive()
    assert sorted(os.listdir(str(directory))) == [f"{child.pid}.txt", "python"]


def test_a_dead_process_file_is_removed(tmp_path):
    # Past the largest pid_max Linux allows (2**22): no such process, ever.
    dead = write_header(tmp_path, 99999999, {"label": "x", "signal": NUMBER, "python": "p"})
    (tmp_path / "notes.log").write_text("not a dump")
    (tmp_path / "abc.txt").write_text("not a pid")
    assert stacks.collect(str(tmp_path)) == []
    assert not dead.exists()
    assert sorted(os.listdir(str(tmp_path))) == ["abc.txt", "notes.log"]


def test_a_process_that_does_not_catch_the_signal_is_skipped_and_forgotten(children, tmp_path):
    """It exec'd another program (or reset the handler): signalled, it would die."""
    child = quiet_child(children, "")
    path = write_header(tmp_path, child.pid, {"label": "x", "signal": NUMBER, "python": "p"})
    assert stacks.collect(str(tmp_path), timeout=5) == []
    assert not path.exists()
    assert child.alive()


def test_a_process_that_catches_but_writes_nothing_gets_a_note(children, tmp_path):
    child = quiet_child(
        children, "import signal; signal.signal(signal.SIGRTMIN + 5, lambda *a: None)"
    )
    path = write_header(tmp_path, child.pid, {"signal": NUMBER})
    assert stacks.collect(str(tmp_path), timeout=0.2) == [
        {"pid": child.pid, "label": f"pid {child.pid}", "note": "no stacks within 0.2s"}
    ]
    assert path.exists()
    assert child.alive()


def test_unreadable_headers_are_passed_over(tmp_path):
    (tmp_path / f"{os.getpid()}.txt").write_text("not json\n")
    (tmp_path / "1.txt").write_text("")
    assert stacks.collect(str(tmp_path)) == []
    assert sorted(os.listdir(str(tmp_path))) == ["1.txt", f"{os.getpid()}.txt"]


def test_no_directory_no_processes(tmp_path):
    assert stacks.collect(str(tmp_path / "missing")) == []


def test_another_process_collects_as_docker_exec_does(parked):
    """Neither the parent of the process nor its interpreter's flags matter."""
    child, directory, _ = parked
    run = subprocess.run(
        [
            sys.executable,
            "-S",
            "-E",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import _smdebug_local_stacks as s; "
            "print(__import__('json').dumps(s.collect(sys.argv[2])))",
            PAYLOAD,
            str(directory),
        ],
        stdout=subprocess.PIPE,
        text=True,
        timeout=30,
        check=True,
    )
    (result,) = json.loads(run.stdout)
    assert result["pid"] == child.pid and "in parked_worker" in result["text"]

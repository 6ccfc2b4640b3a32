"""The VS Code flows of the README, in a real VS Code (code-server) driven in Chromium.

Workspace: a copy of examples/quickstart with the files `smdebug-local init vscode --script
driver.py --source-dir src` writes; the training job runs on the real training image. The
user's steps are keyboard steps (Ctrl+P, Ctrl+G, F9, Ctrl+Shift+D, F5, the Command Palette);
what is checked is what VS Code shows: the Problems panel, the Call Stack, the task
terminal, its prompts. F5 -> paused times go to artifacts/timings.json.
"""

from __future__ import annotations

import re
import select
import socket
import subprocess
import time
from pathlib import Path

import pytest

from vscode_workbench import init_vscode, labelled_containers

pytestmark = pytest.mark.e2e

TRAINING = "smdebug-local: training"
LISTEN = "smdebug-local: listen (connect-back)"
TASK = "smdebug-local: run"
PORT = 5678
ARTIFACT_LINE = r"model artifact: file://\S*model\.tar\.gz"
PRELAUNCH_ERROR = (
    r"(Error exists|Errors exist) after running preLaunchTask "
    rf"'{re.escape(TASK)}'"
)
# The stack label ("(PyTorch)") is there when the image names its stack.
WAITING = r"smdebug-local: training \S+ (?:\([^)]*\) )?waiting for debugger on 127\.0\.0\.1:(\d+)"


def marker_line(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def set_breakpoint(wb, workspace: Path) -> int:
    line = marker_line(workspace / "src" / "train.py", "# loop breakpoint")
    wb.open_file("src/train.py", line)
    wb.toggle_breakpoint(line)
    return line


def assert_paused_at(frame: dict, workspace: Path, line: int) -> None:
    where = f"{frame['title'] or frame['file']}:{frame['line']}"
    assert frame["file"] == "train.py", f"paused in {where}, not src/train.py"
    assert frame["title"] in ("", str(workspace / "src" / "train.py"), "src/train.py") or frame[
        "title"
    ].endswith("src/train.py"), f"paused in {where}, not {workspace}/src"
    assert int(frame["line"].split(":")[0]) == line, f"paused at {where}, not line {line}"


def wait_run_ended(wb, timeout: float = 120) -> None:
    with wb.step("the run ends by itself"):
        wb.poll(
            "the smdebug-local run process gone",
            lambda: not wb.server.run_processes(),
            timeout,
            0.5,
        )


def f5_paused_continue(wb, workspace: Path, timings, label: str) -> None:
    """The README's flow: breakpoint, F5 on "smdebug-local: training", paused at it in the
    container, Continue, the job ends with its model artifact."""
    line = set_breakpoint(wb, workspace)
    wb.open_run_and_debug()
    wb.select_configuration(TRAINING)
    started = wb.start_debugging()
    frame = wb.wait_paused(timeout=300)
    timings.record(label, time.monotonic() - started)
    with wb.step("the paused frame is the breakpoint"):
        assert_paused_at(frame, workspace, line)
    wb.command("Remove All Breakpoints")  # it is in the training loop
    started = time.monotonic()
    wb.continue_()
    wb.wait_terminal(ARTIFACT_LINE, timeout=180)
    timings.record(f"{label}: Continue -> model artifact line", time.monotonic() - started)
    wait_run_ended(wb)


def assert_not_attached(wb) -> None:
    with wb.step("no debug session"):
        state = wb.debugging()
        assert not state["toolbar"] and not state["callStackRows"], (
            f"VS Code started a debug session: {state}, call stack {wb.call_stack()}"
        )


# --------------------------------------------------------------------------- (a)

CONTROL_KEY = "smdebugLocalControl"


def test_generated_files_clean_in_problems_panel(quickstart, open_vscode):
    """VS Code's own validation (the debugpy attach schema, the tasks schema) finds nothing
    in the generated launch.json and tasks.json. A control key added to each first proves
    the validation runs on both files ("Property smdebugLocalControl is not allowed")."""
    init_vscode(quickstart)
    launch, tasks = quickstart / ".vscode" / "launch.json", quickstart / ".vscode" / "tasks.json"
    generated = {launch: launch.read_text(), tasks: tasks.read_text()}
    launch.write_text(
        re.sub(r'("type":\s*"debugpy",)', rf'\1 "{CONTROL_KEY}": 1,', generated[launch], count=1)
    )
    tasks.write_text(
        re.sub(
            r'("label":\s*"smdebug-local: run",)',
            rf'\1 "{CONTROL_KEY}": 1,',
            generated[tasks],
            count=1,
        )
    )
    assert CONTROL_KEY in launch.read_text() and CONTROL_KEY in tasks.read_text()
    wb = open_vscode(quickstart)
    wb.open_file(".vscode/launch.json")
    wb.open_file(".vscode/tasks.json")

    def entries(file: str) -> list[str]:
        rows = wb.problems()
        out, current = [], None
        for row in rows:
            if row["level"] == "1":
                current = row["label"]
            elif current and file in current:
                out.append(row["label"] or row["text"])
        return out

    control = f"Property {CONTROL_KEY} is not allowed"
    with wb.step("the control key flagged in both files"):
        wb.poll(
            "control entries for launch.json and tasks.json",
            lambda: all(
                any(control in e for e in entries(f)) for f in ("launch.json", "tasks.json")
            ),
            60,
            1,
        )
    # Back to what init wrote: VS Code reloads the open editors and validates again.
    for path, text in generated.items():
        path.write_text(text)
    with wb.step("the generated files have no Problems entry"):
        wb.poll(
            "control entries gone",
            lambda: (
                not any(control in e for f in ("launch.json", "tasks.json") for e in entries(f))
            ),
            30,
            1,
        )
        time.sleep(3)
        found = {f: entries(f) for f in ("launch.json", "tasks.json")}
        assert found == {"launch.json": [], "tasks.json": []}, f"VS Code's Problems panel: {found}"


# --------------------------------------------------------------------------- (b), (c)


def test_f5_pauses_at_breakpoint_then_continue(quickstart, open_vscode, timings):
    init_vscode(quickstart)
    wb = open_vscode(quickstart)
    f5_paused_continue(wb, quickstart, timings, "F5 -> paused")


def test_f5_with_image_name_without_smdebug_local(quickstart, open_vscode, timings, retagged_image):
    """The image's name no longer matters to the task's readiness (issue 13, 1)."""
    init_vscode(quickstart)
    wb = open_vscode(quickstart, env={"SMDEBUG_LOCAL_EXAMPLE_IMAGE": retagged_image})
    f5_paused_continue(wb, quickstart, timings, "F5 -> paused (re-tagged image)")


# --------------------------------------------------------------------------- (d)


def test_port_taken_never_attaches_elsewhere(quickstart, open_vscode):
    """launch.json pins 5678; something else listens there. The run must refuse (the port
    was pinned by the IDE configuration), VS Code must prompt, and nothing may connect to
    the foreign listener."""
    init_vscode(quickstart)
    holder = socket.socket()
    # As any server (and Docker's port proxy) does: the previous test's connections to this
    # port may linger in TIME_WAIT, which blocks a bind without SO_REUSEADDR for a minute.
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", PORT))
    except OSError as err:
        holder.close()
        pytest.fail(
            f"127.0.0.1:{PORT} is already in use on this machine ({err}); this test "
            "needs to hold it itself",
            pytrace=False,
        )
    holder.listen(8)
    try:
        wb = open_vscode(quickstart)
        wb.open_run_and_debug()
        wb.select_configuration(TRAINING)
        wb.start_debugging()
        message = wb.wait_message(PRELAUNCH_ERROR, timeout=180)
        with wb.step("the foreign listener got no connection"):
            readable, _, _ = select.select([holder], [], [], 0)
            assert not readable, "VS Code (or the run) connected to the foreign listener"
        assert "Abort" in message["buttons"], message
        wb.click_dialog_button("Abort")
        time.sleep(2)
        assert_not_attached(wb)
        # Read the terminal once the prompt is gone (the palette cannot open under it).
        wb.wait_terminal(rf"smdebug-local: error: .*{PORT}", timeout=15)
        readable, _, _ = select.select([holder], [], [], 0)
        assert not readable, "something connected to the foreign listener after Abort"
    finally:
        holder.close()


# --------------------------------------------------------------------------- (e)


@pytest.mark.parametrize("failure", ["missing-image", "syntax-error"])
def test_run_failing_at_start_prompts(quickstart, open_vscode, failure):
    """A run that fails before any container waits: VS Code's preLaunchTask prompt, no
    debug session (never "connect ECONNREFUSED")."""
    init_vscode(quickstart)
    env = {}
    if failure == "missing-image":
        env["SMDEBUG_LOCAL_EXAMPLE_IMAGE"] = "vsctest/no-such-image:none"
    else:
        driver = quickstart / "driver.py"
        driver.write_text(driver.read_text() + "\ndef broken(:\n    pass\n")
    wb = open_vscode(quickstart, env=env)
    wb.open_run_and_debug()
    wb.select_configuration(TRAINING)
    wb.start_debugging()
    # "Waiting for preLaunchTask ..." is VS Code's note while the task still runs (here:
    # while Docker tries to pull the missing image); the prompt under test comes after it.
    message = wb.wait_message(
        rf"{PRELAUNCH_ERROR}|(?<!Waiting for )preLaunchTask|ECONNREFUSED", timeout=240
    )
    with wb.step("VS Code's prompt is the preLaunchTask error"):
        assert re.search(PRELAUNCH_ERROR, message["text"]), (
            f"VS Code said {message['text']!r} ({message['kind']}), not the preLaunchTask "
            f"error; terminal:\n{wb.terminal_text()[-2000:]}"
        )
    wb.click_dialog_button("Abort")
    time.sleep(2)
    assert_not_attached(wb)


# --------------------------------------------------------------------------- (f)


def test_terminate_task_leaves_no_container(quickstart, open_vscode):
    """ "Tasks: Terminate Task" while the training container waits for the debugger ends
    the run and removes its containers (VS Code ends a task with SIGHUP)."""
    init_vscode(quickstart)
    before = labelled_containers()
    wb = open_vscode(quickstart)
    wb.command("Tasks: Run Task", then=TASK)
    wb.wait_terminal(WAITING, timeout=240)
    with wb.step("the run's container exists"):
        assert labelled_containers() - before, "no labelled container while waiting"
    # With one task running VS Code ends it at once (it would ask which of several).
    wb.command("Tasks: Terminate Task")
    with wb.step("the run process ends"):
        wb.poll(
            "the smdebug-local run process gone", lambda: not wb.server.run_processes(), 60, 0.5
        )
    with wb.step("no labelled container left"):
        deadline = time.monotonic() + 60
        while labelled_containers() - before and time.monotonic() < deadline:
            time.sleep(1)
        out = subprocess.run(
            [
                "docker",
                "ps",
                "-a",
                "--filter",
                "label=smdebug-local.run",
                "--format",
                "{{.Names}} {{.Status}}",
            ],
            capture_output=True,
            text=True,
        ).stdout
        assert not labelled_containers() - before, (
            f"containers left 60 s after Terminate Task: {out}"
        )


# --------------------------------------------------------------------------- (g)


def _listening(port: int) -> bool:
    """Whether some socket listens on ``port`` (read from /proc; connects to nothing)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def test_connect_back_two_consecutive_runs(quickstart, open_vscode, timings):
    """Connect-back mode: start the listen configuration, then run the task twice; each
    run's container connects to VS Code and stops at the breakpoint."""
    init_vscode(quickstart, "--mode", "connect")
    wb = open_vscode(quickstart)
    wb.open_run_and_debug()
    wb.select_configuration(LISTEN)
    wb.start_debugging()
    with wb.step("VS Code listens (debugpy adapter)"):
        wb.poll(f"a listener on port {PORT}", lambda: _listening(PORT), 30, 0.5)
    for run in (1, 2):
        line = set_breakpoint(wb, quickstart)
        started = time.monotonic()
        wb.command("Tasks: Run Task", then=TASK)
        frame = wb.wait_paused(timeout=300)
        timings.record(f"run {run}: Run Task -> paused", time.monotonic() - started)
        with wb.step(f"run {run}: the paused frame is the breakpoint"):
            assert_paused_at(frame, quickstart, line)
        wb.command("Remove All Breakpoints")  # it is in the training loop
        wb.continue_()
        wb.wait_terminal(ARTIFACT_LINE, timeout=180)
        wait_run_ended(wb)
        with wb.step(f"run {run}: VS Code listens again"):
            wb.poll(f"a listener on port {PORT}", lambda: _listening(PORT), 60, 0.5)

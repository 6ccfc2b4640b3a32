"""The smdebug-local VS Code extension (vscode/) in a real VS Code (code-server in Chromium).

No launch.json here (but in the handover test): the user opens the driver script, runs
"smdebug-local: Debug Script (with Watch)" from the Command Palette, and the extension
attaches to each debug target the run's state file lists, with its own debug type (no
Python Debugger extension involved). Checked is what VS Code shows: the Call Stack, the
"smdebug-local Targets" view, the task terminal, the status bar; and that "Stop Run" leaves
no container. Times go to artifacts/timings.json.

The handover test runs the generated launch.json's "debugpy" configuration through the
test-only stand-in for the Python Debugger (standin-debugpy/): it shows VS Code's side --
configuration providers chained on "debugpy", the stand-in's DebugAdapterServer session
taking the target over, and the extension keeping off it -- but not the real ms-python.debugpy
extension's own resolver (its order among providers, anything it adds) nor its bundled
debugpy adapter (the stand-in listens with this venv's `python -m debugpy.adapter`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_real_vscode import (
    ARTIFACT_LINE,
    TRAINING,
    WAITING,
    assert_paused_at,
    marker_line,
    set_breakpoint,
)

from smdebug_local.ide import jsonc

from vscode_workbench import init_vscode, labelled_containers, smdebug_command

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TARGETS = "smdebug-local Targets"
# How the extension starts smdebug-local: this venv's (as a user with a virtualenv sets it).
SETTINGS = {"smdebugLocal.command": [sys.executable, "-m", "smdebug_local"]}


def open_with_extension(
    open_vscode, workspace: Path, extension_vsix: Path, artifacts: Path, env=None
):
    return open_vscode(
        workspace,
        env={"SMDEBUG_LOCAL_EXTENSION_LOG": str(artifacts / "extension.log"), **(env or {})},
        workspace_settings=SETTINGS,
        extensions=(extension_vsix,),
    )


def wait_targets(wb, want, timeout: float = 240) -> list[str]:
    """The Targets view's rows once ``want(rows)`` holds."""
    with wb.step(f"the {TARGETS} view"):
        wb.open_run_and_debug()
        return wb.poll(
            f"{TARGETS} rows",
            lambda: (lambda rows: rows if rows and want(rows) else None)(wb.view_rows(TARGETS)),
            timeout,
            0.3,
        )


def stop_run_leaves_nothing(wb, before: set[str]) -> None:
    wb.command("smdebug-local: Stop Run")
    with wb.step("the run process ends"):
        wb.poll("the smdebug-local run gone", lambda: not wb.server.run_processes(), 90, 0.5)
    with wb.step("no container of the run left"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)


def test_extension_unit_tests(extension_vsix):
    """The extension's pure parts (state file -> targets -> attach decisions, DAP framing,
    the readiness check on real sockets, process checks), with node's test runner: run by
    vscode/build.sh when the extension_vsix fixture builds it (a failure fails the build)."""
    log = (REPO / "vscode" / "out" / "unit-tests.log").read_text()
    assert "ℹ fail 0" in log and "ℹ pass 0" not in log, log


def test_debug_script_watch_reattaches_after_save(
    quickstart, open_vscode, extension_vsix, artifacts, timings
):
    """Debug Script with Watch stops at a breakpoint in src/train.py; after a save, watch
    mode reruns the job in a new container, which is attached by itself and stops again;
    Stop Run leaves no container."""
    before = labelled_containers()
    wb = open_with_extension(open_vscode, quickstart, extension_vsix, artifacts)
    line = set_breakpoint(wb, quickstart)
    wb.open_file("driver.py")
    started = time.monotonic()
    wb.command("smdebug-local: Debug Script with Watch")
    frame = wb.wait_paused(timeout=300)
    timings.record("Debug Script -> paused", time.monotonic() - started)
    with wb.step("the paused frame is the breakpoint"):
        assert_paused_at(frame, quickstart, line)
    with wb.step("Variables: the tensor says its shape, dtype and device"):
        tensor = re.compile(r"^inputs\W+Tensor\[32, 1, 8, 8\] float32 cpu  ?\[\[\[\[")
        wb.poll(
            "the inputs row (Locals expanded)",
            lambda: (
                wb.js(_JS_EXPAND_LOCALS)
                and any(tensor.search(r) for r in wb.js(_JS_VARIABLES) or [])
            ),
            15,
            0.3,
        )
        wb.screenshot("tensor-in-variables")
    rows = wait_targets(
        wb, lambda rows: any("training algo-1" in r and "paused" in r for r in rows)
    )
    with wb.step("the view lists the run and its training target"):
        assert any("driver.py" in r for r in rows), rows
    wb.command("Remove All Breakpoints")  # it is in the training loop
    wb.continue_()
    wb.wait_terminal(ARTIFACT_LINE, timeout=180)

    # Watch mode waits for a change. Add a breakpoint again and save an edit in VS Code.
    line = set_breakpoint(wb, quickstart)
    with wb.step("edit src/train.py at its end and save (Ctrl+S)"):
        wb.press("Control+End")
        wb.type("\n# edited in VS Code\n")
        started = time.monotonic()
        wb.press("Control+S")
        wb.poll(
            "the edit on disk",
            lambda: "# edited in VS Code" in (quickstart / "src" / "train.py").read_text(),
            10,
        )
    frame = wb.wait_paused(timeout=300)
    timings.record("save -> re-attached and paused (watch rerun)", time.monotonic() - started)
    with wb.step("the rerun's paused frame is the breakpoint"):
        assert_paused_at(frame, quickstart, line)
    stop_run_leaves_nothing(wb, before)


class Outside:
    """`smdebug-local run SCRIPT` in a workspace from a terminal outside VS Code; its output
    is read all along (a full pipe would block the run)."""

    def __init__(self, workspace: Path, script: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*smdebug_command(), "run", script],
            cwd=workspace,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_line(self, pattern: str, timeout: float = 240) -> str:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in list(self.lines) if regex.search(line)), None)
            if found:
                return found
            time.sleep(0.3)
        tail = "".join(self.lines[-40:])
        raise AssertionError(f"no line /{pattern}/ within {timeout}s:\n{tail}")

    def end(self) -> None:
        """As Ctrl-C in its terminal (if it still runs)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def test_two_serving_workers_two_sessions(
    quickstart,
    open_vscode,
    extension_vsix,
    artifacts,
    training_image,
    serving_image,
    tmp_path,
    timings,
):
    """deploy.py with 2 model-server workers, run from a terminal in this workspace: the
    Targets view shows 2 attached worker targets (2 sessions); after a window reload both
    are attached again by themselves, and a request stops in transform_fn; the run then
    ends by itself with the prediction and leaves no container."""
    before = labelled_containers()
    hold = tmp_path / "predict-now"
    wb = open_with_extension(open_vscode, quickstart, extension_vsix, artifacts)
    inference = quickstart / "src" / "inference.py"
    line = marker_line(inference, "# transform_fn breakpoint")
    wb.open_file("src/inference.py", line)
    wb.toggle_breakpoint(line)
    run = Outside(
        quickstart,
        "deploy.py",
        {
            "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
            "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": serving_image,
            "EXAMPLE_SERVING_WORKERS": "2",
            "EXAMPLE_HOLD_FILE": str(hold),
        },
    )
    try:
        rows = wait_targets(
            wb,
            lambda rows: (
                sum(
                    1
                    for r in rows
                    if "serving algo-1 worker" in r and ("attached" in r or "paused" in r)
                )
                == 2
            ),
            timeout=400,
        )
        with wb.step("two worker targets, each attached"):
            workers = [r for r in rows if "serving algo-1 worker" in r]
            assert len(workers) == 2, rows
        wb.screenshot("targets-view")  # the README's picture comes from here
        # A window reload ends every session; the extension starts again and re-attaches.
        started = time.monotonic()
        with wb.step("reload the window"):
            # What "Developer: Reload Window" does in a browser (the palette's own wait
            # would run into the navigation).
            wb.js("setTimeout(() => location.reload(), 100); return true")
            time.sleep(2)
            wb.browser.call(
                "wait", timeout=95, selector=".monaco-workbench .part.statusbar", ms=90000
            )
        wait_targets(
            wb,
            lambda rows: (
                sum(1 for r in rows if "serving algo-1 worker" in r and "attached" in r) == 2
            ),
            timeout=120,
        )
        timings.record("Reload Window -> both workers attached again", time.monotonic() - started)
        hold.touch()
        started = time.monotonic()
        frame = wb.wait_paused(timeout=120)
        timings.record(
            "request released -> paused in transform_fn (endpoint may still start)",
            time.monotonic() - started,
        )
        with wb.step("paused in transform_fn"):
            assert frame["file"] == "inference.py", frame
            assert int(frame["line"].split(":")[0]) == line, frame
        wb.command("Remove All Breakpoints")
        wb.continue_()
        run.wait_line(r"prediction: \[", timeout=120)
        with wb.step("the run ends by itself, exit status 0"):
            assert run.proc.wait(timeout=120) == 0
    finally:
        run.end()
    with wb.step("no container of the run left"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)
    with wb.step("the Targets view is empty again"):
        wb.poll("no target rows", lambda: not (wb.view_rows(TARGETS) or []), 10, 0.5)


# Clicks the first session row of a rank paused at a breakpoint in the Call Stack (focusing
# it, as a user's click does), but those whose label starts with one of ``arg``; its label,
# or null.
_JS_FOCUS_PAUSED_RANK = r"""
const view = document.querySelector('.debug-call-stack');
if (!view) return null;
for (const row of view.querySelectorAll('.monaco-list-row')) {
  const state = row.querySelector('.state.label, .state-label, .label.state');
  const text = row.innerText.replace(/\s+/g, ' ').trim();
  if (state && state.innerText.trim().toLowerCase() === 'paused on breakpoint'
      && text.startsWith('training algo-1 rank') && !(arg || []).some(l => text.startsWith(l))) {
    row.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
    row.click();
    return text;
  }
}
return null;
"""

# Clicks the inline action ``arg.action`` (its title) on the Targets view's row that
# contains ``arg.row``, after hovering it as a pointer would; its title, or what the row
# offers instead.
_JS_ROW_ACTION = r"""
const pane = [...document.querySelectorAll('.pane')].find(p => {
  const h = p.querySelector('.pane-header');
  return h && h.innerText.toLowerCase().includes('smdebug-local targets');
});
if (!pane) return null;
for (const row of pane.querySelectorAll('.monaco-list-row')) {
  if (!row.innerText.includes(arg.row)) continue;
  row.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  const actions = [...row.querySelectorAll('.actions .action-label')];
  const action = actions.find(a => (a.getAttribute('aria-label') || a.title || '') === arg.action);
  if (!action) return 'not offered: ' + actions.map(a => a.getAttribute('aria-label') || a.title).join(', ');
  action.click();
  return arg.action;
}
return null;
"""

_JS_STATUS_BAR = r"""
const bar = document.querySelector('.part.statusbar');
return bar ? bar.innerText.replace(/\s+/g, ' ') : null;
"""


def click_run_action(wb, row: str, action: str) -> None:
    """The inline action ``action`` of the Targets view's row containing ``row``."""
    with wb.step(f"click {action} on the {row} row of {TARGETS}"):
        wb.open_run_and_debug()
        clicked = wb.poll(
            f"the {row} row", lambda: wb.js(_JS_ROW_ACTION, {"row": row, "action": action}), 15, 0.3
        )
        assert clicked == action, clicked


# The Variables pane's rows ("rank = 0", ...).
_JS_VARIABLES = r"""
const view = document.querySelector('.debug-variables');
return view ? [...view.querySelectorAll('.monaco-list-row')].map(r => r.innerText.replace(/\s+/g, ' ').trim()) : [];
"""

# Expands the Variables pane's Locals scope as a click would; true once it is expanded.
_JS_EXPAND_LOCALS = r"""
const view = document.querySelector('.debug-variables');
const row = view && [...view.querySelectorAll('.monaco-list-row')]
  .find(r => r.innerText.trim() === 'Locals');
if (!row) return false;
if (row.getAttribute('aria-expanded') === 'true') return true;
row.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
row.click();
return false;
"""


def test_every_rank_is_its_own_session(
    tmp_path, open_vscode, extension_vsix, artifacts, training_image, timings
):
    """torchrun, 1 host x 2 ranks: the extension attaches each rank as its own session
    ("training algo-1 rank 0" and "rank 1"); both stop at the breakpoint after the
    all-reduce, each with its own rank in Variables; one click on the run's "Continue All"
    continues both (the status bar says so), and the job completes and leaves no
    container."""
    project = tmp_path / "ranks"
    shutil.copytree(REPO / "tests" / "e2e" / "projects" / "ranks", project)
    before = labelled_containers()
    wb = open_with_extension(
        open_vscode,
        project,
        extension_vsix,
        artifacts,
        env={"TEST_IMAGE": training_image, "TEST_RANKS_PER_HOST": "2"},
    )
    line = marker_line(project / "src" / "train.py", "# ranks breakpoint")
    wb.open_file("src/train.py", line)
    wb.toggle_breakpoint(line)
    wb.open_file("driver.py")
    wb.command("smdebug-local: Debug Script")
    rows = wait_targets(
        wb,
        lambda rows: all(
            any(f"training algo-1 rank {r}" in row and "paused" in row for row in rows)
            for r in (0, 1)
        ),
        timeout=300,
    )
    wb.screenshot("ranks-paused")
    with wb.step("one target per rank, no other"):
        assert len([r for r in rows if "training algo-1" in r]) == 2, rows
    with wb.step("two sessions paused at the breakpoint (Call Stack)"):
        wb.poll(
            "two rank sessions paused on breakpoint",
            lambda: (
                sum(
                    1
                    for r in (wb.call_stack() or {}).get("rows", [])
                    if (r.get("state") or "").lower() == "paused on breakpoint"
                    and r["text"].startswith("training algo-1 rank")
                )
                == 2
            ),
            30,
            0.5,
        )
    wb.command("Remove All Breakpoints")
    seen, focused = set(), []
    for _ in range(2):
        with wb.step("focus a paused rank: Variables show its own rank"):
            label = wb.poll(
                "a paused rank to focus",
                lambda: wb.js(_JS_FOCUS_PAUSED_RANK, focused),
                30,
                0.5,
            )
            focused.append(label.split(" Paused")[0])
            want = f"rank = {label.split('rank ')[1].split()[0]}"
            wb.poll(
                f"Variables: {want}",
                lambda want=want: want in (wb.js(_JS_VARIABLES) or []),
                15,
                0.3,
            )
            seen.add(want)
    assert seen == {"rank = 0", "rank = 1"}, seen
    started = time.monotonic()
    click_run_action(wb, "driver.py", "Continue All")
    with wb.step("the status bar: both sessions continued"):
        wb.poll(
            "the Continue All message",
            lambda: re.search(
                r"2 sessions of \S*driver\.py continued", wb.js(_JS_STATUS_BAR) or ""
            ),
            15,
            0.2,
        )
    with wb.step("no rank paused any more (Call Stack)"):
        wb.poll(
            "both ranks running",
            lambda: (
                not any(
                    (r.get("state") or "").lower() == "paused on breakpoint"
                    for r in (wb.call_stack() or {}).get("rows", [])
                )
            ),
            30,
            0.3,
        )
    timings.record("Continue All -> no rank paused", time.monotonic() - started)
    wb.wait_terminal(ARTIFACT_LINE, timeout=240)
    with wb.step("the run ends by itself"):
        wb.poll("the smdebug-local run gone", lambda: not wb.server.run_processes(), 120, 0.5)
    with wb.step("no container of the run left"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)


def test_other_workspace_never_attached_attach_by_hand(
    quickstart, tmp_path, open_vscode, extension_vsix, artifacts, training_image
):
    """With autoAttach off: a run in another folder is never attached (not even listed); a
    run started from a terminal in this workspace is listed as waiting and not attached
    until "Attach to Target..." picks it, then stops at the breakpoint; "Stop Run" (a run
    the extension did not start: SIGINT) leaves no container."""
    other = tmp_path / "other"
    shutil.copytree(quickstart, other)
    before = labelled_containers()
    wb = open_vscode(
        quickstart,
        env={"SMDEBUG_LOCAL_EXTENSION_LOG": str(artifacts / "extension.log")},
        workspace_settings={**SETTINGS, "smdebugLocal.autoAttach": False},
        extensions=(extension_vsix,),
    )
    line = set_breakpoint(wb, quickstart)
    foreign = Outside(other, "driver.py", {"SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image})
    try:
        foreign.wait_line(WAITING)
        time.sleep(5)  # the extension checks state files every second
        with wb.step("another folder's run: no session, nothing listed"):
            state = wb.debugging()
            assert not state["toolbar"] and not state["callStackRows"], state
            wb.open_run_and_debug()
            assert not (wb.view_rows(TARGETS) or []), wb.view_rows(TARGETS)
    finally:
        foreign.end()
    own = Outside(quickstart, "driver.py", {"SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image})
    try:
        own.wait_line(WAITING)
        wait_targets(wb, lambda rows: any("training algo-1" in r and "waiting" in r for r in rows))
        time.sleep(3)
        with wb.step("autoAttach off: listed as waiting, not attached"):
            state = wb.debugging()
            assert not state["toolbar"] and not state["callStackRows"], state
        wb.command("smdebug-local: Attach to Target...", then="training algo-1")
        frame = wb.wait_paused(timeout=120)
        with wb.step("the paused frame is the breakpoint"):
            assert_paused_at(frame, quickstart, line)
        wb.command("smdebug-local: Stop Run")
        with wb.step("the run ends (SIGINT) and removes its containers"):
            own.proc.wait(timeout=90)
            wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)
    finally:
        own.end()


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def test_f5_on_a_generated_configuration_takes_the_target_over(
    quickstart, open_vscode, extension_vsix, artifacts, training_image
):
    """The generated launch.json next to the extension: a run started from a terminal is
    attached by the extension and stops at the breakpoint; starting "smdebug-local: training"
    (a "debugpy" configuration: the stand-in Python Debugger) ends the extension's session
    first, the debugpy session attaches to the same target and stops there again, and the
    extension lists the target as held by debugpy and does not attach it again."""
    init_vscode(quickstart)
    launch = quickstart / ".vscode" / "launch.json"
    doc = jsonc.parse(launch.read_text()).to_python()
    # The run is started from the terminal here, not by the configuration's pre-launch task.
    config = next(c for c in doc["configurations"] if c["name"] == TRAINING)
    config.pop("preLaunchTask", None)
    launch.write_text(json.dumps(doc, indent=2))
    before = labelled_containers()
    wb = open_with_extension(open_vscode, quickstart, extension_vsix, artifacts)
    line = set_breakpoint(wb, quickstart)
    # Enough epochs that the loop is still running when the debugpy session attaches.
    run = Outside(
        quickstart,
        "driver.py",
        {"SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image, "EXAMPLE_EPOCHS": "40"},
    )
    try:
        port = int(re.search(WAITING, run.wait_line(WAITING)).group(1))
        if config["connect"]["port"] != port:  # the run took another port than init's
            config["connect"]["port"] = port
            launch.write_text(json.dumps(doc, indent=2))
        frame = wb.wait_paused(timeout=120)
        with wb.step("the extension's session is paused at the breakpoint"):
            assert_paused_at(frame, quickstart, line)
            rows = (wb.call_stack() or {}).get("rows", [])
            assert any(r["text"].startswith("training algo-1") for r in rows), rows
        # While a session is paused F5 continues it: the user starts the configuration from
        # the Command Palette (or Run and Debug's start button).
        wb.command("Debug: Select and Start Debugging", then=TRAINING)
        wait_targets(
            wb,
            lambda rows: any("training algo-1" in r and "held by debugpy" in r for r in rows),
            60,
        )
        with wb.step("the extension's session ended (handed over)"):
            wb.poll(
                "no session named training algo-1",
                lambda: (
                    not any(
                        r["text"].startswith("training algo-1")
                        for r in (wb.call_stack() or {}).get("rows", [])
                    )
                ),
                30,
                0.3,
            )
        frame = wb.wait_paused(timeout=120)
        with wb.step("the debugpy session is paused at the breakpoint, the extension's is gone"):
            assert_paused_at(frame, quickstart, line)
            rows = (wb.call_stack() or {}).get("rows", [])
            assert any(r["text"].startswith(TRAINING) for r in rows), rows
            assert not any(r["text"].startswith("training algo-1") for r in rows), rows
            standin = _read_text(artifacts / "standin.log")
            assert f"Connecting to DAP Server at: 127.0.0.1:{port}" in standin, standin
            assert "handed over to the Python Debugger" in _read_text(artifacts / "extension.log")
        time.sleep(3)  # the extension checks every second: it must not attach again
        with wb.step("still held by debugpy, not attached again"):
            rows = wb.view_rows(TARGETS) or []
            assert any("training algo-1" in r and "held by debugpy" in r for r in rows), rows
    finally:
        run.end()
    with wb.step("no container of the run left"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)


def _bridge_port() -> tuple[str, int]:
    """The Docker bridge gateway and a port free on it (where VS Code listens for
    connect-back containers)."""
    out = subprocess.run(
        ["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    gateway = json.loads(out)[0]["Gateway"]
    with socket.socket() as s:
        s.bind((gateway, 0))
        return gateway, s.getsockname()[1]


def test_connect_back_run_is_attached(quickstart, open_vscode, extension_vsix, artifacts, timings):
    """`run --mode connect` (runArgs) with Debug Script: the extension listens on the bridge
    gateway with debugpy's adapter, the training container connects to it and stops at the
    breakpoint; after Continue the job completes, and when the run ends no listener is
    left."""
    gateway, port = _bridge_port()
    before = labelled_containers()
    wb = open_vscode(
        quickstart,
        env={"SMDEBUG_LOCAL_EXTENSION_LOG": str(artifacts / "extension.log")},
        workspace_settings={
            **SETTINGS,
            "smdebugLocal.runArgs": ["--mode", "connect", "--port", str(port)],
        },
        extensions=(extension_vsix,),
    )
    line = set_breakpoint(wb, quickstart)
    wb.open_file("driver.py")
    started = time.monotonic()
    wb.command("smdebug-local: Debug Script")
    frame = wb.wait_paused(timeout=300)
    timings.record("Debug Script (connect-back) -> paused", time.monotonic() - started)
    with wb.step("the paused frame is the breakpoint, in the connect-back session"):
        assert_paused_at(frame, quickstart, line)
        rows = (wb.call_stack() or {}).get("rows", [])
        assert any("(connect-back)" in r["text"] for r in rows), rows
        log = _read_text(artifacts / "extension.log")
        assert f"listening on {gateway}:{port}" in log, log
    wait_targets(wb, lambda rows: any("training algo-1" in r and "paused" in r for r in rows), 30)
    wb.command("Remove All Breakpoints")
    wb.continue_()
    wb.wait_terminal(ARTIFACT_LINE, timeout=180)
    with wb.step("the run ends by itself"):
        wb.poll("the smdebug-local run gone", lambda: not wb.server.run_processes(), 120, 0.5)
    with wb.step("no container left, no listener left on the bridge port"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)

        def port_free() -> bool:
            with socket.socket() as s:
                # As a listener does (the debuggee's closed connections may linger there).
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((gateway, port))
                    return True
                except OSError:
                    return False

        wb.poll(f"{gateway}:{port} free again", port_free, 30, 0.5)
        wb.poll("no debug session left", lambda: not wb.debugging()["callStackRows"], 15, 0.5)


# The exception VS Code shows in the editor at an exception stop.
_JS_EXCEPTION_WIDGET = r"""
const w = document.querySelector('.exception-widget');
return w ? w.innerText.replace(/\s+/g, ' ').trim() : null;
"""
# The text of the editors (their visible lines), the focused one first.
_JS_EDITOR_LINES = r"""
return [...document.querySelectorAll('.monaco-editor .view-lines')]
  .map(v => [...v.querySelectorAll('.view-line')].map(l => l.innerText.replace(/\u00a0/g, ' ')).join('\n'));
"""


def paused_in(wb, function: str, state: str, timeout: float = 300) -> dict:
    """The Call Stack's frame ``function`` under a thread paused on an exception (VS Code
    labels such a thread with the exception's text, ``state``, case aside)."""
    with wb.step(f"the Call Stack: a thread paused on {state!r} in {function}"):

        def probe():
            rows = (wb.call_stack() or {}).get("rows", [])
            for i, row in enumerate(rows):
                if (row.get("state") or "").lower().startswith(state.lower()):
                    for below in rows[i + 1 :]:
                        frame = below.get("frame")
                        if frame and frame["name"] == function:
                            return frame
            return None

        return wb.poll(f"paused in {function}", probe, timeout, 0.3)


def test_a_dataloader_workers_crash_stops_in_vscode_and_show_stacks_names_it(
    tmp_path, open_vscode, extension_vsix, artifacts, training_image, timings
):
    """Debug Script (which asks for post-mortem pauses) on projects/crash: the extension
    attaches the training process; in epoch 2 its DataLoader worker raises, and VS Code
    shows the worker's session paused on exception, with the exception, in __getitem__.
    Show Stacks then opens every process's stacks, the worker's "paused in the debugger".
    Continue All: the job fails as it would have, leaving no container."""
    project = tmp_path / "crash"
    shutil.copytree(REPO / "tests" / "e2e" / "projects" / "crash", project)
    before = labelled_containers()
    wb = open_with_extension(
        open_vscode,
        project,
        extension_vsix,
        artifacts,
        env={"TEST_IMAGE": training_image, "TEST_CRASH": "worker"},
    )
    source = project / "src" / "train.py"
    wb.open_file("driver.py")
    started = time.monotonic()
    wb.command("smdebug-local: Debug Script")
    wb.open_run_and_debug()
    frame = paused_in(wb, "__getitem__", "bad item 5")
    timings.record("Debug Script -> worker crash shown", time.monotonic() - started)
    with wb.step("paused on the exception in the worker's __getitem__"):
        assert_paused_at(frame, project, marker_line(source, "# worker crash"))
        widget = wb.poll("the exception widget", lambda: wb.js(_JS_EXCEPTION_WIDGET), 15, 0.3)
        assert "Exception has occurred: ValueError" in widget and "bad item 5" in widget, widget
    wb.screenshot("worker-crash")

    wb.command("smdebug-local: Show Stacks")
    with wb.step("Show Stacks: an editor with every process's stacks"):
        text = wb.poll(
            "the stacks editor",
            lambda: next((t for t in wb.js(_JS_EDITOR_LINES) or [] if "process(es)" in t), None),
            30,
            0.5,
        )
        assert "training algo-1 (PyTorch)" in text, text
        assert re.search(
            r"child process \d+(?: \[thread \w+\])?: .*\(paused in the debugger\)", text
        ), text
    wb.screenshot("show-stacks")

    # Continue All (the focused session may be the training process's, where F5 would start
    # a new debug session), again for any stop after it: the parent re-raises the worker's
    # exception, and VS Code's default "Uncaught Exceptions" may stop there too.
    with wb.step("Continue All until the job has failed"):

        def continued() -> bool:
            if not wb.server.run_processes():
                return True
            rows = (wb.call_stack() or {}).get("rows") or []
            # A paused thread's label is "Paused on ..." or its exception's text.
            if any((r.get("state") or "").lower() not in ("", "running") for r in rows):
                wb.command("smdebug-local: Continue All")
            return False

        wb.poll("the run ended", continued, 180, 2)
    wb.wait_terminal(r"exited with code 1: .*ValueError: bad item 5", timeout=30)
    with wb.step("the run ends by itself"):
        wb.poll("the smdebug-local run gone", lambda: not wb.server.run_processes(), 120, 0.5)
    with wb.step("no container of the run left"):
        wb.poll("containers removed", lambda: not (labelled_containers() - before), 60, 1)

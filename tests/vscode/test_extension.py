"""The smdebug-local VS Code extension (vscode/) in a real VS Code (code-server in Chromium).

No launch.json here: the user opens the driver script, runs "smdebug-local: Debug Script
(with Watch)" from the Command Palette, and the extension attaches to each debug target the
run's state file lists, with its own debug type (no Python Debugger extension involved).
Checked is what VS Code shows: the Call Stack, the "smdebug-local Targets" view, the task
terminal; and that "Stop Run" leaves no container. Times go to artifacts/timings.json.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_real_vscode import ARTIFACT_LINE, WAITING, assert_paused_at, marker_line, set_breakpoint

from vscode_workbench import labelled_containers, smdebug_command

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
# it, as a user's click does); its label, or null.
_JS_FOCUS_PAUSED_RANK = r"""
const view = document.querySelector('.debug-call-stack');
if (!view) return null;
for (const row of view.querySelectorAll('.monaco-list-row')) {
  const state = row.querySelector('.state.label, .state-label, .label.state');
  const text = row.innerText.replace(/\s+/g, ' ').trim();
  if (state && state.innerText.trim().toLowerCase() === 'paused on breakpoint'
      && text.startsWith('training algo-1 rank')) {
    row.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
    row.click();
    return text;
  }
}
return null;
"""

# The Variables pane's rows ("rank = 0", ...).
_JS_VARIABLES = r"""
const view = document.querySelector('.debug-variables');
return view ? [...view.querySelectorAll('.monaco-list-row')].map(r => r.innerText.replace(/\s+/g, ' ').trim()) : [];
"""


def test_every_rank_is_its_own_session(
    tmp_path, open_vscode, extension_vsix, artifacts, training_image
):
    """torchrun, 1 host x 2 ranks: the extension attaches each rank as its own session
    ("training algo-1 rank 0" and "rank 1"); both stop at the breakpoint after the
    all-reduce; continued one by one, the job completes and leaves no container."""
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
    seen = set()
    for _ in range(2):
        with wb.step("focus a paused rank: Variables show its own rank; Continue (F5)"):
            label = wb.poll("a paused rank to focus", lambda: wb.js(_JS_FOCUS_PAUSED_RANK), 30, 0.5)
            want = f"rank = {label.split('rank ')[1].split()[0]}"
            wb.poll(
                f"Variables: {want}",
                lambda want=want: want in (wb.js(_JS_VARIABLES) or []),
                15,
                0.3,
            )
            seen.add(want)
            wb.press("F5")
            wb.poll(
                f"{label} no longer paused",
                lambda label=label: (
                    not any(
                        r["text"].startswith(label.split(" Paused")[0])
                        and (r.get("state") or "").lower() == "paused on breakpoint"
                        for r in (wb.call_stack() or {}).get("rows", [])
                    )
                ),
                30,
                0.5,
            )
    assert seen == {"rank = 0", "rank = 1"}, seen
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

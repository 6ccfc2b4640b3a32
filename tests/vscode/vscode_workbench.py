"""A real VS Code (code-server) in Chromium, driven as a user would, for the tests here.

``CodeServer`` starts code-server on a free loopback port with a fresh user-data and
extensions folder; ``Browser`` is the long-lived Node process (driver.js, playwright-core)
that drives Debian's Chromium; ``Workbench`` turns its primitives into a user's steps --
open a file at a line, toggle a breakpoint, pick a debug configuration, F5, read the Call
Stack, the terminal, the Problems panel and VS Code's prompts. Every step that fails leaves
a screenshot in the test's artefact folder (tests/vscode/artifacts/<test>/).

The tools come from ``setup.sh`` (cache folder: ``tools_dir()``); nothing here installs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"
STANDIN = HERE / "standin-debugpy"
CHROMIUM = "/usr/bin/chromium"


# --------------------------------------------------------------------------- tools


def versions() -> dict[str, str]:
    """KEY=VALUE pairs of versions.env (shared with setup.sh)."""
    pairs = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def tools_dir() -> Path:
    cache = os.environ.get("SMDEBUG_LOCAL_TEST_CACHE") or str(
        Path.home() / ".cache" / "smdebug-local-test"
    )
    return Path(cache) / f"code-server-{versions()['CODE_SERVER_VERSION']}"


class Tools:
    """Paths of the tools setup.sh installed."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or tools_dir()
        self.node = self.root / "node" / "bin" / "node"
        self.code_server = self.root / "code-server" / "bin" / "code-server"
        self.playwright_core = self.root / "playwright" / "node_modules" / "playwright-core"
        self.chromium = Path(CHROMIUM)

    def missing(self) -> list[str]:
        checks = {
            "node": self.root / "node" / ".complete",
            "code-server": self.root / "code-server" / ".complete",
            "playwright-core": self.root / "playwright" / ".complete",
            "chromium": self.chromium,
        }
        return [name for name, path in checks.items() if not path.exists()]

    def env(self) -> dict[str, str]:
        """The environment for Node programs (our Node first on PATH)."""
        return {**os.environ, "PATH": f"{self.node.parent}:{os.environ['PATH']}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_standin_vsix(dest: Path) -> Path:
    """The test-only debugpy stand-in packaged as a .vsix (a zip), no vsce needed."""
    manifest = json.loads((STANDIN / "package.json").read_text())
    schema = json.loads((STANDIN / "attach-schema.json").read_text())
    manifest["contributes"]["debuggers"][0]["configurationAttributes"] = {
        "attach": schema["attach"]
    }
    ident = f"{manifest['publisher']}.{manifest['name']}"
    vsix_manifest = f"""<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="{manifest["name"]}" Version="{manifest["version"]}" Publisher="{manifest["publisher"]}" />
    <DisplayName>{manifest["displayName"]}</DisplayName>
    <Description xml:space="preserve">test-only stand-in ({ident})</Description>
    <Categories>Debuggers</Categories>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="{manifest["engines"]["vscode"]}" />
    </Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
  </Assets>
</PackageManifest>
"""
    content_types = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
"""
    dest.mkdir(parents=True, exist_ok=True)
    vsix = dest / f"{ident}-{manifest['version']}.vsix"
    with zipfile.ZipFile(vsix, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("extension.vsixmanifest", vsix_manifest)
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("extension/package.json", json.dumps(manifest, indent=2))
        zf.write(STANDIN / "extension.js", "extension/extension.js")
    return vsix


# --------------------------------------------------------------------------- smdebug-local

LABEL_RUN = "smdebug-local.run"


def smdebug_command() -> list[str]:
    """How to run smdebug-local from the Python running the tests (the project venv)."""
    if importlib.util.find_spec("smdebug_local.__main__") is not None:
        return [sys.executable, "-m", "smdebug_local"]
    return [str(Path(sys.executable).with_name("smdebug-local"))]


def init_vscode(workspace: Path, *args: str) -> None:
    """``smdebug-local init vscode --script driver.py --source-dir src ARGS`` in workspace."""
    out = subprocess.run(
        [
            *smdebug_command(),
            "init",
            "vscode",
            "--script",
            "driver.py",
            "--source-dir",
            "src",
            *args,
        ],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, f"init vscode failed:\n{out.stdout}\n{out.stderr}"


def labelled_containers() -> set[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL_RUN}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


# --------------------------------------------------------------------------- processes


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


class CodeServer:
    """code-server on a free loopback port, its own user-data and extensions folders."""

    def __init__(
        self, tools: Tools, workspace: Path, home: Path, env: dict[str, str], log: Path
    ) -> None:
        self.tools, self.workspace, self.home, self.log_path = tools, workspace, home, log
        self.user_data = home / "user-data"
        self.extensions = home / "extensions"
        self.user_data.mkdir(parents=True, exist_ok=True)
        self.extensions.mkdir(parents=True, exist_ok=True)
        self.env = {**tools.env(), **env}
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def _args(self) -> list[str]:
        return [
            str(self.tools.node),
            str(self.tools.code_server),
            "--config",
            str(self.home / "config.yaml"),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
        ]

    def install_extension(self, vsix: Path) -> None:
        out = subprocess.run(
            [*self._args(), "--install-extension", str(vsix)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0 or "successfully installed" not in out.stdout.lower():
            raise RuntimeError(
                f"code-server --install-extension {vsix.name} failed:\n{out.stdout}\n{out.stderr}"
            )

    def launcher(self, folder: Path) -> Path:
        """A ``code-server`` command in ``folder`` that is this code-server, its folders as
        its defaults -- what a user's installed ``code-server`` is. It runs the tools' Node
        by its path (code-server is a Node program), so ``folder`` on PATH adds no ``node``."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "code-server"
        path.write_text(f'#!/bin/sh\nexec {shlex.join(self._args())} "$@"\n')
        path.chmod(0o755)
        return path

    def write_user_settings(self, settings: dict) -> None:
        path = self.user_data / "User" / "settings.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2))

    def start(self, timeout: float = 60) -> None:
        self.port = free_port()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open while it runs
        self.proc = subprocess.Popen(
            [
                *self._args(),
                "--auth",
                "none",
                "--bind-addr",
                f"127.0.0.1:{self.port}",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(self.workspace),
            ],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"code-server exited ({self.proc.returncode}); see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/healthz", timeout=2
                ) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"code-server did not answer in {timeout} s; see {self.log_path}"
                )
            time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def run_processes(self) -> list[int]:
        """smdebug-local runs started from this VS Code's terminals (tasks)."""
        if not self.proc:
            return []
        return [
            pid
            for pid in descendants(self.proc.pid)
            if re.search(r"smdebug[-_]local\S* run\b|-m smdebug_local run\b", cmdline(pid))
        ]

    def stop(self) -> list[str]:
        """Stop code-server. smdebug-local runs still going are ended with SIGTERM first
        (and waited for, so they clean up); returns their command lines."""
        if not self.proc:
            return []
        leftover = []
        runs = self.run_processes()
        for pid in runs:
            leftover.append(cmdline(pid))
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + 60
        while any(_alive(p) for p in runs) and time.monotonic() < deadline:
            time.sleep(0.3)
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()
        self.proc = None
        return leftover


class DriverError(RuntimeError):
    pass


class Browser:
    """The Node driver (driver.js): one JSON command per line, one answer per line."""

    def __init__(self, tools: Tools, log: Path) -> None:
        self._stderr = open(log, "ab")  # noqa: SIM115 - open while it runs
        self.proc = subprocess.Popen(
            [str(tools.node), str(HERE / "driver.js")],
            env={
                **tools.env(),
                "PLAYWRIGHT_CORE": str(tools.playwright_core),
                "CHROMIUM": str(tools.chromium),
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self._answers: queue.Queue = queue.Queue()
        self._next = 0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._answers.put(json.loads(line))
        self._answers.put(None)

    def call(self, cmd: str, timeout: float = 120, **args):
        self._next += 1
        ident = self._next
        self.proc.stdin.write(json.dumps({"id": ident, "cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = self._answers.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise DriverError(f"driver: no answer to {cmd} in {timeout} s") from None
            if answer is None:
                raise DriverError(f"driver exited ({self.proc.poll()})")
            if answer.get("id") != ident:
                continue  # a late answer to an earlier command that timed out
            if not answer["ok"]:
                raise DriverError(f"{cmd}: {answer['error']}")
            return answer["result"]

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        self._stderr.close()


# --------------------------------------------------------------------------- the workbench

# Page-side readers (bodies of `function (arg) {...}`).
_JS_QUICK_ROWS = r"""
const rows = [...document.querySelectorAll('.quick-input-widget [role=option]')];
return rows.map(r => r.getAttribute('aria-label') || r.innerText);
"""

_JS_CALL_STACK = r"""
const view = document.querySelector('.debug-call-stack');
if (!view) return null;
const rows = [...view.querySelectorAll('.monaco-list-row')];
const out = {rows: [], paused: null};
let pausedSeen = false;
for (const row of rows) {
  const text = row.innerText.replace(/\s+/g, ' ').trim();
  const state = row.querySelector('.state.label, .state-label, .label.state');
  const frame = row.querySelector('.stack-frame');
  const item = {text};
  if (state) item.state = state.innerText.trim();
  if (frame) {
    const file = frame.querySelector('.file .file-name');
    const line = frame.querySelector('.file .line-number');
    const fileEl = frame.querySelector('.file');
    item.frame = {name: (frame.querySelector('.expression') || {}).innerText || '',
                  file: file ? file.innerText : '', line: line ? line.innerText : '',
                  title: (fileEl && fileEl.getAttribute('title')) || frame.getAttribute('title') || ''};
  }
  out.rows.push(item);
  if (item.state && /paused on breakpoint/i.test(item.state)) pausedSeen = true;
  if (pausedSeen && item.frame && !out.paused) out.paused = item.frame;
}
return out;
"""

# A paused thread whose frames are not shown (VS Code keeps it collapsed when child sessions
# arrive as it stops): expanded, as a click on it would. True if one was clicked.
_JS_EXPAND_PAUSED = r"""
const view = document.querySelector('.debug-call-stack');
if (!view) return false;
for (const row of view.querySelectorAll('.monaco-list-row[aria-expanded="false"]')) {
  const state = row.querySelector('.state.label, .state-label, .label.state');
  if (state && /^paused on breakpoint$/i.test(state.innerText.trim())) {
    row.querySelector('.monaco-tl-twistie').click();
    return true;
  }
}
return false;
"""

_JS_MESSAGES = r"""
const out = [];
for (const d of document.querySelectorAll('.monaco-dialog-box')) {
  const text = [...d.querySelectorAll('.dialog-message-text, .dialog-message-detail')]
      .map(e => e.innerText.trim()).filter(Boolean).join(' ');
  const buttons = [...d.querySelectorAll('.dialog-buttons .monaco-button')].map(b => b.innerText.trim());
  out.push({kind: 'dialog', text, buttons});
}
for (const t of document.querySelectorAll('.notifications-toasts .notification-toast, .notifications-center .notification-list-item')) {
  const msg = t.querySelector('.notification-list-item-message');
  const buttons = [...t.querySelectorAll('.notification-list-item-buttons-container .monaco-button')]
      .map(b => b.innerText.trim());
  out.push({kind: 'notification', text: msg ? msg.innerText.trim() : t.innerText.trim(), buttons});
}
return out;
"""

_JS_TERMINAL = r"""
const out = [];
for (const rows of document.querySelectorAll('.terminal-wrapper .xterm-rows')) {
  if (rows.offsetParent === null) continue;
  const lines = [...rows.children].map(r => r.textContent.replace(/\s+$/, ''));
  out.push(lines.join('\n'));
}
return out;
"""

_JS_PROBLEMS = r"""
const panel = document.querySelector('.markers-panel');
if (!panel) return null;
return [...panel.querySelectorAll('.monaco-list-row')].map(r => ({
  label: r.getAttribute('aria-label') || '', text: r.innerText.replace(/\s+/g, ' ').trim(),
  level: r.getAttribute('aria-level') || ''}));
"""

_JS_DEBUGGING = r"""
const bar = document.querySelector('.debug-toolbar');
const visible = !!(bar && bar.offsetParent !== null && getComputedStyle(bar).display !== 'none');
const sessions = document.querySelectorAll('.debug-call-stack .monaco-list-row').length;
return {toolbar: visible, callStackRows: sessions};
"""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


class StepFailed(AssertionError):
    pass


class Workbench:
    """A user's steps in the VS Code page; a failing step leaves a screenshot."""

    def __init__(self, browser: Browser, server: CodeServer, artifacts: Path) -> None:
        self.browser, self.server, self.artifacts = browser, server, artifacts
        self.steps: list[str] = []
        self.seen_messages: list[str] = []  # every VS Code prompt/notification seen

    # ---- plumbing
    def js(self, body: str, arg=None, timeout: float = 30):
        return self.browser.call("eval", timeout=timeout, body=body, arg=arg)

    def press(self, *keys: str) -> None:
        self.browser.call("press", keys=list(keys))

    def type(self, text: str) -> None:
        self.browser.call("type", text=text)

    def screenshot(self, name: str) -> Path | None:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{len(self.steps):02d}-{slug(name)}.png"
        try:
            self.browser.call("screenshot", timeout=30, path=str(path))
            return path
        except Exception:
            return None

    @contextmanager
    def step(self, name: str):
        self.steps.append(name)
        try:
            yield
        except Exception as err:
            shot = self.screenshot(name)
            messages = self._note_messages()
            raise StepFailed(
                f"step {name!r} failed: {err}\n  screenshot: {shot}\n"
                f"  VS Code messages on screen: {messages}"
            ) from err

    def poll(self, what: str, probe, timeout: float, interval: float = 0.2):
        """Call ``probe()`` until it returns something truthy; its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(interval)
        raise TimeoutError(f"{what}: not within {timeout} s (last: {last!r})")

    # ---- opening
    def open(self, timeout: float = 90) -> None:
        with self.step("open VS Code"):
            self.browser.call(
                "launch",
                timeout=60,
                userDataDir=str(self.server.home / "chromium-profile"),
                url=self.server.url,
            )
            self.browser.call(
                "wait",
                timeout=timeout + 5,
                selector=".monaco-workbench .part.statusbar",
                ms=int(timeout * 1000),
            )
            name = self.server.workspace.name
            self.poll(
                "the workspace folder in the Explorer",
                lambda: self.js(
                    "return document.body.innerText.toUpperCase().includes(arg.toUpperCase())", name
                ),
                timeout,
            )
            # The extension host and its built-in extensions settle.
            time.sleep(2)

    # ---- quick input
    def _quick_input(self, timeout: float = 10) -> None:
        self.browser.call(
            "wait", selector=".quick-input-widget .quick-input-box input", ms=int(timeout * 1000)
        )

    def _quick_type(self, text: str) -> None:
        """Type into the open quick input (after its prefix: ">" or ":"), checked."""
        self._quick_input()
        value = "const i = document.querySelector('.quick-input-widget .quick-input-box input');"
        self.poll(
            "the quick input focused",
            lambda: self.js(value + "return !!i && document.activeElement === i"),
            10,
            0.1,
        )
        prefix = self.js(value + "return i.value")
        for _ in range(3):
            self.type(text)
            try:
                self.poll(
                    "the typed text in the quick input",
                    lambda: self.js(value + "return i.value") == prefix + text,
                    3,
                    0.1,
                )
                return
            except TimeoutError:
                self.press("Control+A")
                self.type(prefix)
        raise TimeoutError(
            f"could not type {text!r} into the quick input "
            f"(it holds {self.js(value + 'return i.value')!r})"
        )

    def _quick_visible(self) -> bool:
        return bool(
            self.js(
                "const i = document.querySelector('.quick-input-widget');"
                "return !!i && i.offsetParent !== null && i.style.display !== 'none'"
            )
        )

    def _quick_pick(
        self, text: str, expect: str | None, timeout: float = 15, closes: bool = True
    ) -> None:
        """Type ``text``, move to the first row whose label starts with ``expect`` (or
        contains it, for a row of prose), Enter; the quick input must close (or, with
        ``closes=False``, show the next picker)."""
        self._quick_type(text)
        typed = self.js("return document.querySelector('.quick-input-widget input').value")
        if expect is not None:
            index = self.poll(
                f"quick pick row {expect!r}",
                lambda: next(
                    (
                        i + 1
                        for i, label in enumerate(self.js(_JS_QUICK_ROWS) or [])
                        if label.lower().startswith(expect.lower())
                        or (" " in expect and expect.lower() in label.lower())
                    ),
                    None,
                ),
                timeout,
            )
            time.sleep(0.2)
            for _ in range(index - 1):
                self.press("ArrowDown")
        self.press("Enter")
        if not closes:
            value = "return document.querySelector('.quick-input-widget input').value"
            try:
                self.poll("the next picker", lambda: self.js(value) != typed, 3, 0.1)
            except TimeoutError:
                if self._quick_visible():  # the palette took no Enter (still filtering)
                    self.press("Enter")
                # "Tasks: Run Task" opens its picker once every task provider answered; on
                # a fresh machine the first one activates every extension with tasks.
                self.poll("the next picker", lambda: self.js(value) != typed, 60, 0.1)
            return
        try:
            self.poll("the quick input closed", lambda: not self._quick_visible(), 3, 0.1)
        except TimeoutError:
            self.press("Enter")
            self.poll("the quick input closed", lambda: not self._quick_visible(), 5, 0.1)

    def command(self, label: str, then: str | None = None) -> None:
        """Run a command from the Command Palette by its label; ``then``: the row to pick
        in the picker the command opens."""
        with self.step(f"command {label}" + (f" -> {then}" if then else "")):
            self.press("F1")
            self._quick_pick(label, label, closes=then is None)
            if then:
                self._quick_pick(then, then)

    def open_file(self, relpath: str, line: int | None = None) -> None:
        with self.step(f"open {relpath}" + (f":{line}" if line else "")):
            self.press("Control+P")
            self._quick_pick(relpath, Path(relpath).name)
            name = Path(relpath).name
            self.poll(
                f"the editor tab {name}",
                lambda: self.js(
                    "const t = document.querySelector('.tabs-container .tab.active');"
                    "return !!t && (t.getAttribute('aria-label') || '').includes(arg)",
                    name,
                ),
                15,
            )
            if line:
                self.press("Control+G")
                self._quick_pick(str(line), f"go to line {line}")
                self.poll(
                    f"the cursor on line {line}",
                    lambda: self.js(
                        "const s = document.getElementById('status.editor.selection');"
                        "return s ? s.innerText : ''"
                    ).startswith(f"Ln {line},"),
                    10,
                )

    def toggle_breakpoint(self, line: int) -> None:
        with self.step(f"F9 on line {line}"):
            self.press("F9")
            self.poll(
                "a breakpoint in the glyph margin",
                lambda: self.js(
                    "return document.querySelectorAll('.monaco-editor .codicon-debug-breakpoint').length"
                ),
                10,
            )

    # ---- debugging
    def open_run_and_debug(self) -> None:
        with self.step("Run and Debug (Ctrl+Shift+D)"):
            self.press("Control+Shift+D")
            self.browser.call(
                "wait",
                selector=".debug-pane, .debug-view-content, .start-debug-action-item",
                ms=15000,
            )

    def select_configuration(self, name: str) -> None:
        """Pick ``name`` in the Run and Debug view's configuration drop-down."""
        with self.step(f"select configuration {name}"):
            row = f'.action-widget .monaco-list-row.action[aria-label="{name}"]'
            for attempt in range(3):
                # The drop-down re-renders while it opens (a notification arriving, the
                # list re-laid out): a click can land on the overlay. Close it, try again.
                try:
                    self.browser.call("click", selector=".start-debug-action-item-dropdown-label")
                    self.browser.call("wait", selector=row, ms=10000)
                    self.browser.call("click", selector=row)
                    break
                except DriverError:
                    if attempt == 2:
                        raise
                    self.press("Escape")
                    time.sleep(1)
            self.poll(
                "the selected configuration in Run and Debug",
                lambda: self.js(
                    "const s = document.querySelector('.start-debug-action-item-label');"
                    "return !!s && s.innerText.trim() === arg",
                    name,
                ),
                10,
            )

    def start_debugging(self) -> float:
        """F5; the monotonic time it was pressed."""
        with self.step("F5"):
            started = time.monotonic()
            self.press("F5")
            return started

    def call_stack(self):
        return self.js(_JS_CALL_STACK)

    def wait_paused(self, timeout: float = 180, fail_on_prompt: bool = True) -> dict:
        """The paused frame (file, line, title) once the Call Stack says "Paused on
        breakpoint"; a VS Code prompt appearing first fails the step with its words."""
        with self.step("wait for PAUSED ON BREAKPOINT"):

            def probe():
                stack = self.call_stack()
                if stack and stack.get("paused"):
                    return stack["paused"]
                self.js(_JS_EXPAND_PAUSED)
                if fail_on_prompt:
                    dialogs = [m for m in self._note_messages() if m["kind"] == "dialog"]
                    if dialogs:
                        raise StepFailed(f"VS Code prompted instead: {dialogs}")
                return None

            return self.poll("Call Stack: PAUSED ON BREAKPOINT", probe, timeout, 0.1)

    def continue_(self) -> None:
        with self.step("Continue (F5)"):
            self.press("F5")
            self.poll(
                "the Call Stack no longer paused",
                lambda: not ((self.call_stack() or {}).get("paused")),
                30,
            )

    def debugging(self) -> dict:
        return self.js(_JS_DEBUGGING)

    def view_rows(self, title: str) -> list[str] | None:
        """The rows of the Run and Debug view's pane ``title`` (expanded first), as text;
        None while the pane is not there."""
        return self.js(
            """
            const pane = [...document.querySelectorAll('.pane')].find(p => {
                const h = p.querySelector('.pane-header');
                return h && h.innerText.toLowerCase().includes(arg.toLowerCase());
            });
            if (!pane) return null;
            const header = pane.querySelector('.pane-header');
            if (header.getAttribute('aria-expanded') === 'false') { header.click(); return []; }
            return [...pane.querySelectorAll('.monaco-list-row')]
                .map(r => r.innerText.replace(/\\s+/g, ' ').trim());
            """,
            title,
        )

    # ---- panels and messages
    def show_terminal(self) -> None:
        """The panel's Terminal tab (the task terminal), as a click on it would."""
        if not self.js(
            "return [...document.querySelectorAll('.terminal-wrapper .xterm-rows')]"
            ".some(e => e.offsetParent !== null)"
        ):
            self.browser.call(
                "click",
                selector=".part.panel .composite-bar "
                ".action-item[role=tab] .action-label[aria-label^='Terminal']",
            )
            self.poll(
                "the terminal shown",
                lambda: self.js(
                    "return [...document.querySelectorAll('.terminal-wrapper .xterm-rows')]"
                    ".some(e => e.offsetParent !== null)"
                ),
                10,
            )

    def terminal_text(self) -> str:
        """The visible rows of the terminals on screen (the task terminal)."""
        return "\n".join(self.js(_JS_TERMINAL) or [])

    def wait_terminal(self, pattern: str, timeout: float = 180) -> re.Match:
        with self.step(f"terminal shows {pattern!r}"):
            regex = re.compile(pattern)
            self.show_terminal()
            # A terminal that got output while the panel showed something else (the Debug
            # Console, during debugging) stays scrolled where it was: look at its end.
            scrolled = [0.0]

            def probe():
                if time.monotonic() - scrolled[0] > 10:
                    scrolled[0] = time.monotonic()
                    try:  # best effort: a modal prompt (kept for the test) blocks the palette
                        self.command("Terminal: Scroll to Bottom")
                    except (StepFailed, DriverError):
                        pass
                text = self.terminal_text()
                return regex.search(text.replace("\n", "")) or regex.search(text)

            return self.poll(f"terminal text /{pattern}/", probe, timeout, 0.5)

    def problems(self) -> list[dict]:
        with self.step("Problems panel (Ctrl+Shift+M)"):
            if self.js(_JS_PROBLEMS) is None or not self.js(
                "const p = document.querySelector('.markers-panel');"
                "return !!p && p.offsetParent !== null"
            ):
                self.press("Control+Shift+M")
                self.browser.call("wait", selector=".markers-panel", ms=10000)
            time.sleep(0.3)
            return self.js(_JS_PROBLEMS) or []

    def _note_messages(self) -> list[dict]:
        try:
            messages = self.js(_JS_MESSAGES, timeout=10) or []
        except Exception:
            return []
        for m in messages:
            text = m["text"] + (f"  [{' / '.join(m['buttons'])}]" if m["buttons"] else "")
            if text not in self.seen_messages:
                self.seen_messages.append(text)
        return messages

    def messages(self) -> list[dict]:
        return self._note_messages()

    def wait_message(self, pattern: str, timeout: float = 180, kind: str | None = None) -> dict:
        with self.step(f"VS Code says {pattern!r}"):
            regex = re.compile(pattern)
            return self.poll(
                f"a VS Code message /{pattern}/",
                lambda: next(
                    (
                        m
                        for m in self._note_messages()
                        if regex.search(m["text"]) and (kind is None or m["kind"] == kind)
                    ),
                    None,
                ),
                timeout,
                0.25,
            )

    def click_dialog_button(self, label: str) -> None:
        with self.step(f"dialog button {label}"):
            self.browser.call(
                "click", selector=".monaco-dialog-box .dialog-buttons .monaco-button", text=label
            )
            self.poll(
                "the dialog closed",
                lambda: (
                    not self.js("return document.querySelectorAll('.monaco-dialog-box').length")
                ),
                10,
            )

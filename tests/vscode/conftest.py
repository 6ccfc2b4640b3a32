"""Fixtures for the real-VS Code tests: code-server in Chromium, on the real training image.

What is real here: VS Code (code-server, the npm package), its JSON schema validation of
launch.json/tasks.json, its task system and problem matchers, its debug UI and DAP client,
Docker, SageMaker local mode and smdebug-local. What is not: the Python Debugger extension
(no marketplace here) -- a test-only stand-in (standin-debugpy/) resolves "type": "debugpy"
attach configurations the way it does.

The tools come from ``bash tests/vscode/setup.sh`` (once; cached by version). These tests
never skip: a missing tool, Docker engine or image fails them. Artefacts (screenshots of
failed steps, code-server and driver logs, VS Code messages, timings.json) go to
tests/vscode/artifacts/.

Environment: SMDEBUG_LOCAL_TEST_CACHE (tool cache, as setup.sh),
SMDEBUG_LOCAL_TEST_TRAINING_IMAGE / SMDEBUG_LOCAL_TEST_SERVING_IMAGE (instead of the locally
built pytorch-training / pytorch-inference images).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "images"))

import build  # noqa: E402  (tests/images/build.py)
import vscode_workbench as vw  # noqa: E402
from vscode_workbench import labelled_containers  # noqa: E402

RETAGGED = "vsctest/pytorch-training:local"


# ----------------------------------------------------------------------- session


@pytest.fixture(scope="session")
def tools() -> vw.Tools:
    found = vw.Tools()
    missing = found.missing()
    if missing:
        pytest.fail(
            f"real-VS Code tools missing ({', '.join(missing)}) in {found.root}: run "
            "`bash tests/vscode/setup.sh` (the README's test command does)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def docker_engine() -> None:
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail(
            "no Docker engine answers `docker info`; run the README's test command "
            "(./dev/test), which installs and starts one",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def training_image(docker_engine) -> str:
    return os.environ.get("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE") or build.ensure("pytorch-training")


@pytest.fixture(scope="session")
def serving_image(docker_engine) -> str:
    return os.environ.get("SMDEBUG_LOCAL_TEST_SERVING_IMAGE") or build.ensure("pytorch-inference")


@pytest.fixture(scope="session")
def retagged_image(training_image) -> str:
    """The training image under a name without "smdebug-local" in it."""
    subprocess.run(["docker", "tag", training_image, RETAGGED], check=True)
    yield RETAGGED
    subprocess.run(["docker", "rmi", RETAGGED], capture_output=True)


@pytest.fixture(scope="session")
def browser(tools):
    vw.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = vw.Browser(tools, vw.ARTIFACTS / "driver.log")
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def standin_vsix(tmp_path_factory) -> Path:
    return vw.build_standin_vsix(tmp_path_factory.mktemp("vsix"))


@pytest.fixture(scope="session")
def extension_vsix(tools) -> Path:
    """The smdebug-local extension, built from vscode/ now (vscode/build.sh: npm ci when
    its lock changed, tsc, unit tests, vsce)."""
    out = subprocess.run(
        ["bash", str(REPO / "vscode" / "build.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, **tools.env()},
    )
    if out.returncode != 0:
        pytest.fail(f"vscode/build.sh failed:\n{out.stdout}\n{out.stderr}", pytrace=False)
    return REPO / "vscode" / "dist" / "smdebug-local.vsix"


# ----------------------------------------------------------------------- per test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def artifacts(request) -> Path:
    path = vw.ARTIFACTS / vw.slug(request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def no_containers_left(docker_engine):
    """No container of ours is left once VS Code is closed (checked after it is)."""
    before = labelled_containers()
    yield
    left = labelled_containers() - before
    if left:
        subprocess.run(["docker", "rm", "-f", *left], capture_output=True)
    assert not left, f"containers left behind (now removed): {sorted(left)}"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A private copy of examples/quickstart (tests must not write into the repo)."""
    dest = tmp_path / "quickstart"
    shutil.copytree(
        REPO / "examples" / "quickstart",
        dest,
        ignore=shutil.ignore_patterns("data", "output", "__pycache__", ".vscode"),
    )
    return dest


USER_SETTINGS = {
    # Application-scoped, so it belongs in user settings (a workspace cannot set it).
    "security.workspace.trust.enabled": False,
    # The DOM renderer: terminal text is readable from the page.
    "terminal.integrated.gpuAcceleration": "off",
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True,
    "telemetry.telemetryLevel": "off",
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    # code-server's "Your application running on port 5678 is available" toast.
    "remote.autoForwardPorts": False,
}


class Timings:
    """F5 -> paused (and other) times: printed, and kept in artifacts/timings.json."""

    def __init__(self, test: str) -> None:
        self.test = test

    def record(self, what: str, seconds: float) -> None:
        print(f"\n[timing] {self.test}: {what}: {seconds:.1f} s")
        path = vw.ARTIFACTS / "timings.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        data.setdefault(self.test, {})[what] = round(seconds, 2)
        data[self.test]["recorded"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@pytest.fixture
def timings(request) -> Timings:
    return Timings(request.node.name)


def diagnose(bench: vw.Workbench, artifacts: Path) -> None:
    """What a failed test leaves besides screenshots: artifacts/<test>/diagnostics.json."""
    diagnostics = {
        "run processes": [vw.cmdline(p) for p in bench.server.run_processes()],
        "containers": subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Image}}"],
            capture_output=True,
            text=True,
        ).stdout.splitlines(),
    }

    def terminal() -> str:
        bench.show_terminal()
        return bench.terminal_text()

    for name, probe in (
        ("call stack", bench.call_stack),
        (
            "debug console",
            lambda: bench.js(
                "const r = document.querySelector('.repl');"
                "return r ? r.innerText.slice(-4000) : null"
            ),
        ),
        ("terminal", terminal),
    ):
        try:
            diagnostics[name] = probe()
        except Exception as err:  # the test's own failure is what matters
            diagnostics[name] = f"not readable: {err}"
    (artifacts / "diagnostics.json").write_text(json.dumps(diagnostics, indent=2))
    bench.screenshot("at-failure-terminal")


@pytest.fixture
def open_vscode(
    request, tools, browser, standin_vsix, artifacts, training_image, no_containers_left, tmp_path
):
    """``open_vscode(workspace, env=None, workspace_settings=None, extensions=()) ->
    Workbench``: a fresh code-server (own user-data and extensions folders, the stand-in and
    ``extensions`` (.vsix files) installed, then ``install(server)`` if given) serving
    ``workspace``, opened in a fresh Chromium profile. ``env`` adds to the environment
    code-server (and so the task shell) inherits; by default the quickstart driver's
    SMDEBUG_LOCAL_EXAMPLE_IMAGE is the training image."""
    opened: list[vw.Workbench] = []

    def open_(
        workspace: Path,
        env: dict[str, str] | None = None,
        workspace_settings: dict | None = None,
        extensions: tuple[Path, ...] = (),
        install: Callable[[vw.CodeServer], None] | None = None,
    ) -> vw.Workbench:
        if workspace_settings:
            settings = workspace / ".vscode" / "settings.json"
            settings.parent.mkdir(exist_ok=True)
            settings.write_text(json.dumps(workspace_settings, indent=2))
        server = vw.CodeServer(
            tools,
            workspace,
            tmp_path / f"vscode-{len(opened)}",
            {
                "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
                "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
                "SMDEBUG_LOCAL_STANDIN_PYTHON": sys.executable,
                "SMDEBUG_LOCAL_STANDIN_LOG": str(artifacts / "standin.log"),
                **(env or {}),
            },
            artifacts / "code-server.log",
        )
        for vsix in (standin_vsix, *extensions):
            server.install_extension(vsix)
        if install is not None:  # the test installs (more) by its own means
            install(server)
        server.write_user_settings(USER_SETTINGS)
        server.start()
        bench = vw.Workbench(browser, server, artifacts)
        opened.append(bench)
        bench.open()
        return bench

    yield open_
    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    for bench in opened:
        if failed:
            bench.screenshot("at-failure")
            diagnose(bench, artifacts)
        bench.messages()
        try:
            browser.call("close", timeout=30)
        except vw.DriverError:
            pass
        runs = bench.server.stop()
        if runs:
            print(f"\n[teardown] smdebug-local runs still going, ended with SIGTERM: {runs}")
        (artifacts / "messages.txt").write_text("\n".join(bench.seen_messages) + "\n")
        if bench.seen_messages:
            print("\n[VS Code messages] " + "\n[VS Code messages] ".join(bench.seen_messages))

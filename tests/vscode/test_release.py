"""Installed the way users install it: the release wheel, with no Node, and the VS Code
extension it carries, in a real VS Code (code-server in Chromium).

``dev/release`` builds the sdist and the wheel (the extension's .vsix inside); the wheel goes
into a fresh virtualenv in the workspace, with a PATH that has no ``node``;
``smdebug-local vscode install --editor code-server`` installs the extension through
code-server's own ``--install-extension``; then, with no ``smdebugLocal.command`` setting,
"Debug Script" finds the workspace's virtualenv by itself, starts the run, attaches, and VS
Code stops at the breakpoint. The extension's npm conventions are checked on a fresh copy
of ``vscode/`` (``npm ci && npm test``), as a TypeScript developer would start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from test_extension import stop_run_leaves_nothing
from test_real_vscode import ARTIFACT_LINE, assert_paused_at, set_breakpoint

from smdebug_local import __version__

from vscode_workbench import labelled_containers

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
VSIX = "smdebug_local/extension/smdebug-local.vsix"


def release(tools, out: Path) -> Path:
    """``dev/release OUT`` -> the wheel (Node for the extension's build: the tools')."""
    done = subprocess.run(
        ["bash", str(REPO / "dev" / "release"), str(out)],
        capture_output=True,
        text=True,
        env=tools.env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    wheel = out / f"smdebug_local-{__version__}-py3-none-any.whl"
    assert wheel.is_file() and (out / f"smdebug_local-{__version__}.tar.gz").is_file()
    return wheel


def test_the_release_wheel_installs_the_extension_which_debugs_with_no_setting(
    quickstart, open_vscode, tools, artifacts, tmp_path, timings
):
    started = time.monotonic()
    wheel = release(tools, tmp_path / "dist")
    timings.record("dev/release", time.monotonic() - started)
    with zipfile.ZipFile(wheel) as zipped:
        assert VSIX in zipped.namelist()
        with zipped.open(VSIX) as vsix, zipfile.ZipFile(vsix) as extension:
            manifest = extension.read("extension/package.json").decode()
    assert f'"version": "{__version__}"' in manifest, "the extension is not the package's version"

    # A user's machine: the workspace's own virtualenv, and no Node on PATH.
    venv = quickstart / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    user_bin = tmp_path / "user-bin"  # where the user's code-server command is
    path = f"{venv / 'bin'}:{user_bin}"
    assert shutil.which("node", path=path) is None
    # This machine's way to PyPI (its CA bundle, find-links) is test tooling: kept.
    user_env = {
        **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "SSL_", "REQUESTS_"))},
        "HOME": os.environ["HOME"],
        "PATH": path,
    }
    started = time.monotonic()
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel), "sagemaker[local]>=2.200,<3"],
        env=user_env,
        check=True,
    )
    timings.record("pip install of the wheel (and SDK 2.x)", time.monotonic() - started)

    def install(server) -> None:
        server.launcher(user_bin)
        for command in (["install", "--editor", "code-server"], ["status"]):
            done = subprocess.run(
                [str(venv / "bin" / "smdebug-local"), "vscode", *command],
                env=user_env,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stdout.strip() == (
                f"code-server: smdebug-local extension {__version__} (this package's version)"
            ), done.stdout + done.stderr

    before = labelled_containers()
    log = artifacts / "extension.log"
    wb = open_vscode(quickstart, env={"SMDEBUG_LOCAL_EXTENSION_LOG": str(log)}, install=install)
    line = set_breakpoint(wb, quickstart)
    wb.open_file("driver.py")
    started = time.monotonic()
    wb.command("smdebug-local: Debug Script")
    frame = wb.wait_paused(timeout=300)
    timings.record("Debug Script -> paused", time.monotonic() - started)
    with wb.step("the paused frame is the breakpoint"):
        assert_paused_at(frame, quickstart, line)
    with wb.step("the extension says it found the workspace's virtualenv"):
        assert str(venv / "bin" / "smdebug-local") in log.read_text(), log.read_text()
    wb.command("Remove All Breakpoints")
    wb.continue_()
    wb.wait_terminal(ARTIFACT_LINE, timeout=180)
    stop_run_leaves_nothing(wb, before)


def test_a_fresh_copy_of_the_extension_folder_passes_npm_ci_and_npm_test(tools, tmp_path):
    """``npm ci && npm test`` in ``vscode/`` as a clone has it (what git would check out:
    no node_modules, out or dist), with the Node the test layer installs and with the
    machine's own when it has one (Node 20 here)."""
    listed = subprocess.run(
        # A clone has the whole repository: the extension's version is read from the package.
        ["git", "ls-files", "-co", "--exclude-standard", "vscode", "smdebug_local/__init__.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    nodes = [tools.node.parent]
    system = shutil.which("node", path=os.defpath + ":/usr/local/bin")
    if system:
        nodes.append(Path(system).parent)
    for node_bin in nodes:
        clone = tmp_path / f"clone-{len(list(tmp_path.iterdir()))}"
        for name in listed:
            if (REPO / name).is_file():
                (clone / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, clone / name)
        env = {**os.environ, "PATH": f"{node_bin}:{os.environ['PATH']}", "CI": "1"}
        for script in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "test"]):
            done = subprocess.run(
                script, cwd=clone / "vscode", env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, (
                f"{' '.join(script)} with {node_bin}/node:\n{done.stdout}\n{done.stderr}"
            )
        assert "ℹ fail 0" in done.stdout and "ℹ skipped 0" in done.stdout, done.stdout

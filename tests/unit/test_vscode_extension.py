"""`smdebug-local vscode install/status/path` over the editors' command-line interface.

A fake editor command on PATH stands in for `code`/`code-server` (it records its arguments
and lists what was "installed"): this tests the decisions -- which editor, what it is asked,
how its answer is read; tests/vscode/test_release.py installs into a real code-server.
"""

from __future__ import annotations

import json
import stat
import zipfile

import pytest
from click.testing import CliRunner

from smdebug_local import __version__
from smdebug_local.cli import main
from smdebug_local.doctor import _extension
from smdebug_local.ide import extension

# Shell builtins only: PATH holds nothing but the fake editors.
FAKE_EDITOR = """#!/bin/sh
echo "$@" >> "{log}"
case "$1" in
  --install-extension) echo "{id}@{version}" > "{store}" ;;
  --list-extensions) echo ms-python.python@2026.1.0
    [ -f "{store}" ] && while read -r line; do echo "$line"; done < "{store}" ;;
esac
exit 0
"""


@pytest.fixture
def editors(tmp_path, monkeypatch):
    """``editors(name, version=None)`` puts a fake editor on PATH (with that extension
    version installed, or none); returns its argument log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    vsix = tmp_path / "smdebug-local.vsix"
    vsix.write_bytes(b"PK")
    monkeypatch.setattr(extension, "BUNDLED", vsix)

    def add(name: str, version: str | None = None):
        store, log = tmp_path / f"{name}.installed", tmp_path / f"{name}.log"
        if version:
            store.write_text(f"{extension.EXTENSION_ID}@{version}\n")
        path = bin_dir / name
        path.write_text(
            FAKE_EDITOR.format(log=log, store=store, id=extension.EXTENSION_ID, version=__version__)
        )
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        return log

    return add


def cli(*args: str):
    return CliRunner().invoke(main, ["vscode", *args])


def test_install_uses_the_first_editor_on_path_and_its_own_install_command(editors):
    editors("cursor")
    log = editors("code")
    result = cli("install")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        f"code: smdebug-local extension {__version__} (this package's version)"
    )
    calls = log.read_text().splitlines()
    assert calls[0] == f"--install-extension {extension.BUNDLED} --force"
    assert calls[1] == "--list-extensions --show-versions"


def test_install_passes_the_extensions_folder(editors, tmp_path):
    log = editors("code-server")
    result = cli("install", "--editor", "code-server", "--extensions-dir", str(tmp_path / "x"))
    assert result.exit_code == 0, result.output
    assert log.read_text().splitlines()[0].endswith(f"--force --extensions-dir {tmp_path / 'x'}")


def test_status_names_a_missing_or_older_extension_and_exits_1(editors):
    editors("code", version="0.0.9")
    editors("codium")
    result = cli("status")
    assert result.exit_code == 1
    assert f"code: smdebug-local extension 0.0.9, but this package carries {__version__}" in (
        result.output
    )
    assert "codium: the smdebug-local extension is not installed" in result.output
    assert "fix: `smdebug-local vscode install`" in result.output


def test_an_editor_not_on_path_is_one_line_with_the_fix(editors):
    result = cli("install", "--editor", "cursor")
    assert result.exit_code == 2
    assert result.output.startswith("smdebug-local: error: `cursor` is not on PATH;")
    result = cli("status")
    assert "no VS Code command on PATH (looked for code, code-insiders" in result.output


def test_a_development_checkout_without_a_build_says_how_to_get_one(editors, monkeypatch, tmp_path):
    monkeypatch.setattr(extension, "BUNDLED", tmp_path / "none.vsix")
    monkeypatch.setattr(extension, "CHECKOUT_BUILD", tmp_path / "none-either.vsix")
    editors("code")
    result = cli("install")
    assert result.exit_code == 2
    assert "carries no VS Code extension" in result.output and "vscode/build.sh" in result.output


def test_the_version_compared_is_the_bundled_extensions_as_the_editor_lists_it(editors, tmp_path):
    """The extension's version is stamped in SemVer (0.2.0rc1 ships as 0.2.0-rc.1): that is
    what the editor lists, so that is what "the same version" means."""
    with zipfile.ZipFile(extension.BUNDLED, "w") as package:
        package.writestr("extension/package.json", json.dumps({"version": "0.2.0-rc.1"}))
    editors("code", version="0.2.0-rc.1")
    result = cli("status")
    assert result.exit_code == 0, result.output
    assert "code: smdebug-local extension 0.2.0-rc.1 (this package's version)" in result.output


def test_path_prints_the_bundled_package(editors):
    assert cli("path").output.strip() == str(extension.BUNDLED)


def test_doctor_warns_on_a_missing_extension_but_does_not_fail(editors):
    assert _extension().status == "SKIP"  # no editor on PATH
    editors("code")
    check = _extension()
    assert (check.status, check.fix) == ("WARN", "smdebug-local vscode install")
    cli("install")
    assert _extension().status == "PASS"

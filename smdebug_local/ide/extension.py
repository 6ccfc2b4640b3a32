"""The VS Code extension that ships inside this package, and the editors it installs into.

The release wheel carries the built ``.vsix`` (``dev/release``), so a user needs no Node:
the editor's own command line installs it (``code --install-extension``), exactly as a
marketplace install would. Editors are told apart by their command on PATH; VS Code, its
Insiders build, VSCodium, Cursor and code-server share that command-line interface.
The extension's version is this package's, stamped when packaging (``vscode/scripts/
version.js``, in SemVer: ``0.2.0rc1`` ships as ``0.2.0-rc.1``); so "the same version" is
the version the bundled .vsix's manifest says, compared as the editor lists it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, messages
from ..errors import SmdebugError

EXTENSION_ID = "smdebug-local.smdebug-local"  # publisher.name in vscode/package.json
EDITORS = ("code", "code-insiders", "codium", "cursor", "code-server")
CLI_TIMEOUT = 120.0  # an editor's CLI may first unpack itself (code-server: a few seconds)

# Where the wheel carries the extension; a source checkout has vscode/build.sh's output.
BUNDLED = Path(__file__).resolve().parents[1] / "extension" / "smdebug-local.vsix"
CHECKOUT_BUILD = Path(__file__).resolve().parents[2] / "vscode" / "dist" / "smdebug-local.vsix"


@dataclass(frozen=True)
class Installed:
    """What one editor reports about the extension."""

    editor: str
    version: str | None  # None: not installed
    expected: str  # the bundled extension's version (this package's, in SemVer)

    @property
    def current(self) -> bool:
        return self.version == self.expected

    def line(self) -> str:
        if self.version is None:
            return f"{self.editor}: the smdebug-local extension is not installed"
        if self.current:
            return f"{self.editor}: smdebug-local extension {self.version} (this package's version)"
        return (
            f"{self.editor}: smdebug-local extension {self.version}, but this package carries "
            f"{self.expected}"
        )


def vsix() -> Path:
    """The extension package to install: the wheel's, else a source checkout's build."""
    for path in (BUNDLED, CHECKOUT_BUILD):
        if path.is_file():
            return path
    raise messages.NO_BUNDLED_EXTENSION.error(path=BUNDLED)


def bundled_version() -> str:
    """The version the extension to install says it is (its manifest, as the editor will
    list it); this package's own when there is none to read."""
    try:
        with zipfile.ZipFile(vsix()) as package:
            return str(json.loads(package.read("extension/package.json"))["version"])
    except (SmdebugError, OSError, KeyError, ValueError, zipfile.BadZipFile):
        return __version__


def editors_on_path() -> list[str]:
    """The editors whose command is on PATH, in :data:`EDITORS` order."""
    return [name for name in EDITORS if shutil.which(name)]


def choose(editor: str | None) -> str:
    """The editor to act on: the one named, else the first on PATH."""
    if editor is not None:
        if not shutil.which(editor):
            raise messages.EDITOR_NOT_FOUND.error(editor=editor)
        return editor
    found = editors_on_path()
    if not found:
        raise messages.NO_EDITOR.error(editors=", ".join(EDITORS))
    return found[0]


def _cli(editor: str, args: list[str], extensions_dir: Path | None) -> str:
    command = [shutil.which(editor) or editor, *args]
    if extensions_dir is not None:
        command += ["--extensions-dir", str(extensions_dir)]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise messages.EDITOR_CLI_FAILED.error(
            command=" ".join(command[:2]), reason=str(exc).splitlines()[0]
        ) from None
    if out.returncode != 0:
        reason = out.stderr.strip() or out.stdout.strip() or f"exit {out.returncode}"
        raise messages.EDITOR_CLI_FAILED.error(
            command=" ".join(command[:2]), reason=reason.splitlines()[-1][:200]
        )
    return out.stdout


def installed_version(listing: str) -> str | None:
    """The extension's version in ``--list-extensions --show-versions`` output."""
    for line in listing.splitlines():
        name, _, version = line.strip().partition("@")
        if name.lower() == EXTENSION_ID:
            return version or None
    return None


def status(editor: str, extensions_dir: Path | None = None) -> Installed:
    listing = _cli(editor, ["--list-extensions", "--show-versions"], extensions_dir)
    return Installed(editor, installed_version(listing), bundled_version())


def install(editor: str, extensions_dir: Path | None = None) -> Installed:
    """Install (or replace) the bundled extension through the editor's own CLI."""
    package = vsix()
    _cli(editor, ["--install-extension", str(package), "--force"], extensions_dir)
    found = status(editor, extensions_dir)
    if not found.current:
        raise messages.EDITOR_CLI_FAILED.error(
            command=f"{editor} --install-extension", reason=found.line()
        )
    return found

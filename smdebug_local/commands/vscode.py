"""`vscode install`, `vscode status`, `vscode path`: the extension this package carries."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import SmdebugError
from ..ide import extension
from . import fail as _fail

EDITOR = click.option(
    "--editor",
    type=click.Choice(extension.EDITORS),
    help="The editor whose command installs it [default: the first of these on PATH].",
)
EXTENSIONS_DIR = click.option(
    "--extensions-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The editor's extensions folder, when it runs with its own (--extensions-dir).",
)


@click.group()
def vscode() -> None:
    """The smdebug-local VS Code extension: a Targets view and automatic attach to every
    container, worker and rank of a run."""


@vscode.command()
@EDITOR
@EXTENSIONS_DIR
def install(editor: str | None, extensions_dir: Path | None) -> None:
    """Install the extension (this package's version) through the editor's own CLI.

    Replaces any other version. Needs no Node: the wheel carries the built extension.
    """
    try:
        name = extension.choose(editor)
        click.echo(f"smdebug-local: installing {extension.vsix().name} with `{name}`", err=True)
        found = extension.install(name, extensions_dir)
    except SmdebugError as err:
        _fail(err)
    click.echo(found.line())


@vscode.command()
@EDITOR
@EXTENSIONS_DIR
def status(editor: str | None, extensions_dir: Path | None) -> None:
    """Is the extension installed, and is it this package's version? Exit 1 if not.

    Without --editor: every editor found on PATH.
    """
    try:
        names = [extension.choose(editor)] if editor else extension.editors_on_path()
        if not names:
            extension.choose(None)  # raises the "no editor" error
        found = [extension.status(name, extensions_dir) for name in names]
    except SmdebugError as err:
        _fail(err)
    for each in found:
        click.echo(each.line())
    if not all(each.current for each in found):
        click.echo("smdebug-local: fix: `smdebug-local vscode install`", err=True)
        sys.exit(1)


@vscode.command()
def path() -> None:
    """Print the path of the .vsix this package carries (to install it by hand)."""
    try:
        click.echo(extension.vsix())
    except SmdebugError as err:
        _fail(err)

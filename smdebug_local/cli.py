"""The ``smdebug-local`` command: the group and its subcommands (``commands/``)."""

from __future__ import annotations

import click

from . import __version__
from .commands import init, machine, run, runs, vscode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smdebug-local")
def main() -> None:
    """Debug SageMaker local-mode containers from VS Code, PyCharm or any DAP client.

    Not related to Amazon SageMaker Debugger (smdebug).
    """


for command in (
    run.run,
    run.export_compose,
    machine.prefetch,
    machine.doctor,
    runs.status,
    runs.stacks,
    runs.clean,
    init.init,
    vscode.vscode,
):
    main.add_command(command)

"""The ``smdebug-local`` subcommands, one module per concern (like pipx's ``commands/``):
each parses its options with click and calls the library; user errors end in :func:`fail`."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from ..errors import SmdebugError


def fail(err: SmdebugError) -> NoReturn:
    """``smdebug-local: error: <problem>; <fix>`` and the error's exit status."""
    click.echo(f"smdebug-local: error: {err}", err=True)
    sys.exit(err.exit_code)

"""`status` and `clean`: the runs going on, and what dead ones left."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import messages
from ..errors import SmdebugError
from . import fail as _fail


@click.command()
@click.option(
    "--workspace",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The folder the run was started in.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the state file, with each target's live status, as JSON.",
)
def status(workspace: str, as_json: bool) -> None:
    """Show the debug targets of the run going on in this workspace: where to attach.

    Reads .smdebug-local/state.json (written by `run` and `enable()`) and asks Docker for
    each container's status. Exit 1 if no run is going on here.
    """
    from .. import state
    from ..compose import LABEL_RUN
    from ..engine import Engine

    root = Path(workspace).resolve()
    try:
        doc = state.read(root)
        if doc is None:
            raise messages.NO_RUN.error(root=root)
        live = {}
        try:
            for c in Engine().containers(LABEL_RUN, doc["run"]):
                live[c.labels.get("com.docker.compose.service", c.name)] = c.status
        except SmdebugError:
            pass  # Docker down: the table says "gone"
    except SmdebugError as err:
        _fail(err)
    alive = state.pid_alive(int(doc["pid"]))
    if as_json:
        for target in doc["targets"]:
            target["status"] = live.get(target["service"], "gone")
        click.echo(json.dumps({**doc, "alive": alive}, indent=2))
    else:
        click.echo(
            f"run {doc['run']} (pid {doc['pid']}, {doc['script']})"
            + (
                ""
                if alive
                else " -- its process is gone; `smdebug-local clean` removes what it left"
            )
        )
        click.echo(state.table(state.rows(doc, live)))
    sys.exit(0 if alive else 1)


@click.command()
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def clean(dry_run: bool) -> None:
    """Remove containers left behind by runs that no longer exist (e.g. a killed driver).

    Only containers labelled by smdebug-local whose run's process is gone are touched.
    """
    from ..clean import clean as clean_leftovers
    from ..engine import Engine

    try:
        names = clean_leftovers(Engine(), dry_run=dry_run)
    except SmdebugError as err:
        _fail(err)
    verb = "would remove" if dry_run else "removed"
    for name in names:
        click.echo(f"{verb} container {name}")
    click.echo(f"{verb} {len(names)} container(s)")

"""`status` and `clean`: the runs going on, and what dead ones left."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
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
    """Show the debug targets of the runs going on in this workspace: where to attach.

    Reads .smdebug-local/state.json (written by `run` and `enable()`; a run started beside
    another one writes state-<run>.json) and asks Docker for each container's status; a
    running container that printed nothing for 5 minutes is named, with a pointer to
    `stacks`. Exit 1 if no run is going on here.
    """
    from .. import state
    from ..compose import LABEL_RUN
    from ..engine import Engine
    from ..stacks import quiet_containers

    root = Path(workspace).resolve()
    try:
        if not state.state_files(root):
            raise messages.NO_RUN.error(root=root)
        state.read(root)  # an unreadable state.json is an error, not "no run"
        found = state.runs(root)
        live: dict[str, dict[str, str]] = {}
        quiet: dict[str, list[str]] = {}
        try:
            engine = Engine()
            now = datetime.now(timezone.utc)
            for _, doc in found:
                containers = engine.containers(LABEL_RUN, doc["run"])
                live[doc["run"]] = {
                    c.labels.get("com.docker.compose.service", c.name): c.status for c in containers
                }
                quiet[doc["run"]] = quiet_containers(containers, now)
        except SmdebugError:
            pass  # Docker down: the table says "gone"
    except SmdebugError as err:
        _fail(err)
    alive = {doc["run"]: state.pid_alive(int(doc["pid"])) for _, doc in found}
    if as_json:
        docs = []
        for _, doc in found:
            for target in doc["targets"]:
                target["status"] = live.get(doc["run"], {}).get(target["service"], "gone")
            docs.append({**doc, "alive": alive[doc["run"]]})
        # The first run as always; runs started beside it (state-<run>.json) under "others".
        click.echo(json.dumps({**docs[0], "others": docs[1:]}, indent=2))
    else:
        for i, (_, doc) in enumerate(found):
            click.echo(
                ("\n" if i else "")
                + f"run {doc['run']} (pid {doc['pid']}, {doc['script']})"
                + (
                    ""
                    if alive[doc["run"]]
                    else " -- its process is gone; `smdebug-local clean` removes what it left"
                )
            )
            click.echo(state.table(state.rows(doc, live.get(doc["run"], {}))))
            for line in quiet.get(doc["run"], []):
                click.echo(line)
    sys.exit(0 if any(alive.values()) else 1)


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


@click.command()
@click.option(
    "--workspace",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The folder the run was started in.",
)
@click.option("--run", "run_id", metavar="RUN", help="Only this run (its id, as `status` shows).")
@click.option(
    "--target", metavar="SERVICE", help="Only this target's container (its service name)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the stacks as JSON.")
def stacks(workspace: str, run_id: str | None, target: str | None, as_json: bool) -> None:
    """Show every thread's Python stack of every debugged process of the runs going on here.

    Every rank, model-server worker, DataLoader worker and child process is labelled, and
    identical stacks are grouped ("rank 0 · rank 2: all_reduce <- train.py:31"), so a hung
    job shows who waits for whom. A process stuck in C code (a collective, a lock, I/O)
    answers too; nothing is paused and no container capability is needed (Python's
    faulthandler dumps the stacks on a signal). Exit 1 if no run is going on here.
    """
    from .. import state
    from ..engine import Engine
    from ..stacks import as_json as stacks_json
    from ..stacks import collect, render

    root = Path(workspace).resolve()
    try:
        if not state.state_files(root):
            raise messages.NO_RUN.error(root=root)
        found = [doc for _, doc in state.runs(root) if run_id in (None, doc["run"])]
        if not found:
            raise messages.NO_SUCH_RUN.error(run=run_id, root=root)
        engine = Engine()
        results = [(doc, *collect(engine, doc["run"], target)) for doc in found]
    except SmdebugError as err:
        _fail(err)
    if as_json:
        click.echo(
            json.dumps(
                {"runs": [stacks_json(d["run"], d["script"], p, t) for d, p, t in results]},
                indent=2,
            )
        )
    else:
        click.echo("\n\n".join(render(d["run"], d["script"], p, t) for d, p, t in results))
    sys.exit(0 if any(p.threads for _, processes, _ in results for p in processes) else 1)

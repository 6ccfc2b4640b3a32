"""`prefetch` and `doctor`: is this machine ready, and what it needs once."""

from __future__ import annotations

import json
import sys

import click

from ..errors import SmdebugError
from ..options import DEFAULT_PORT, LOOPBACK, DebugOptions
from . import fail as _fail


@click.command()
@click.option("--force", is_flag=True, help="Download again even if the cache is complete.")
def prefetch(force: bool) -> None:
    """Download the debugpy builds containers use (once; needs network access).

    `run` does this on first use; run it ahead of time to work offline later.
    """
    try:
        from ..debuggers import debugpy

        path = debugpy.prepare(
            force=force, log=lambda m: click.echo(f"smdebug-local: {m}", err=True)
        )
    except SmdebugError as err:
        _fail(err)
    click.echo(f"debugpy builds ready in {path}")


@click.command()
@click.option(
    "--port",
    type=int,
    default=DEFAULT_PORT,
    show_default=True,
    metavar="N",
    help="Debug port to check.",
)
@click.option(
    "--bind",
    default=LOOPBACK,
    show_default=True,
    metavar="ADDR",
    help="Address the debug port would be published on.",
)
@click.option(
    "--image",
    metavar="IMAGE",
    help="Also check that this image has Python 3.8+, can publish a port on "
    "loopback and can reach the host as host.docker.internal.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(port: int, bind: str, image: str | None, as_json: bool) -> None:
    """Check that this machine can debug local-mode containers; exit 1 if anything fails.

    Checks the Docker engine, Docker Compose, the SageMaker SDK, the debugpy builds, the debug
    port, the VS Code extension in each editor on PATH (WARN only: it is optional) and (with
    --image) the image's Python, host-gateway and loopback port publishing.
    """
    from ..doctor import run_checks

    try:
        options = DebugOptions(port=port, bind=bind)
    except SmdebugError as err:
        _fail(err)
    checks = run_checks(options, image)
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in checks], indent=2))
    else:
        for check in checks:
            click.echo(check.line())
    sys.exit(1 if any(c.status == "FAIL" for c in checks) else 0)

"""`run` and `export-compose`: a driver script under a debugging session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import SmdebugError
from ..options import (
    DEFAULT_PORT,
    DEFAULT_POST_MORTEM_TIMEOUT,
    LOOPBACK,
    DebugOptions,
    person_present,
)
from . import fail as _fail


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "--port",
    type=int,
    default=None,
    metavar="N",
    help=f"First host port for debug endpoints (default {DEFAULT_PORT}); each "
    "container gets the next free port. A port given here pins them all: "
    "N, N+1, ... in order (training hosts, then serving workers), as `init "
    "vscode --port N` names them; if one is taken the run stops, naming it.",
)
@click.option(
    "--wait/--no-wait",
    default=None,
    help="Wait for a debugger before user code runs. Default: training waits, "
    "serving does not; --wait also makes model loading wait; --no-wait never "
    "waits.",
)
@click.option(
    "--bind",
    default=LOOPBACK,
    show_default=True,
    metavar="ADDR",
    help="Host address the debug endpoints listen on (on loopback they let in your own "
    "account only). Anything but loopback lets other machines run code in your containers.",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="LOCAL=REMOTE",
    help="Map a local folder to the container folder its code runs from, for code "
    "baked into an image (e.g. --map ./program=/opt/program). Repeatable. Not needed "
    "when a folder here has the same files as the image's program folder: it is mapped "
    "automatically.",
)
@click.option(
    "--mode",
    type=click.Choice(["listen", "connect"]),
    default=None,
    help="listen (default; connect with --ide pycharm): each container listens on "
    "a loopback port and you attach. connect: each container connects back to "
    "your IDE listening on --port (re-attaches by itself across reruns; see "
    "the README).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Follow the jobs' source folders: an edit reruns the training or "
    "processing job (estimator, ModelTrainer, processor run(); new container and "
    "job name, same inputs, its own output location); an endpoint's running workers "
    "take edited function bodies in place (anything else reloads them). Keeps running "
    "after SCRIPT ends, until Ctrl-C.",
)
@click.option(
    "--on-change",
    type=click.Choice(["cancel", "queue"]),
    default="cancel",
    show_default=True,
    help="--watch: a change while a rerun is still going on cancels it and starts "
    "anew, or is queued until it ends.",
)
@click.option(
    "--interrupt-paused",
    is_flag=True,
    help="--watch: apply changes at once even while a debugger is paused at a "
    "breakpoint in the affected container (default: wait until you continue).",
)
@click.option(
    "--ide",
    type=click.Choice(["vscode", "pycharm"]),
    default=None,
    help="vscode: keep .vscode/launch.json attach configurations in step with this "
    "run's ports and folders. pycharm: containers connect back to PyCharm's "
    '"Python Debug Server" (configurations from `init pycharm`: training '
    "on --port, serving on --port + 1) with pydevd-pycharm of your build.",
)
@click.option(
    "--pycharm-build",
    metavar="BUILD",
    help="--ide pycharm: your PyCharm's build number (Help > About, e.g. "
    "263.7307.50); found by itself in standard install locations.",
)
@click.option(
    "--debug-driver",
    is_flag=True,
    help="Also debug the driver process itself (its own code, and ModelBuilder's "
    "Mode.IN_PROCESS server): it listens on the next free port from --port "
    "and, unless --no-wait, waits for a debugger before SCRIPT's first line.",
)
@click.option(
    "--ranks",
    metavar="all|N[,N...]",
    default="all",
    show_default=True,
    help="Distributed training (torchrun, MPI): the ranks to debug, e.g. 0 or 0,2; the "
    "other ranks run without a debugger and do not wait.",
)
@click.option(
    "--post-mortem/--no-post-mortem",
    default=None,
    help="A process that crashes with no debugger attached (an uncaught exception in any "
    "rank, DataLoader worker or processing script; an exception escaping a serving "
    "handler) pauses at the exception and prints where to attach; continue to let it fail. "
    "Default: on in a terminal, off in CI (the CI variable set) or with stdin not a terminal.",
)
@click.option(
    "--post-mortem-timeout",
    type=float,
    default=DEFAULT_POST_MORTEM_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long a crashed process waits for a debugger before it fails as it would have.",
)
@click.argument("script", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(
    port: int | None,
    wait: bool | None,
    bind: str,
    mappings: tuple[str, ...],
    mode: str | None,
    watch: bool,
    on_change: str,
    interrupt_paused: bool,
    ide: str | None,
    pycharm_build: str | None,
    debug_driver: bool,
    ranks: str,
    post_mortem: bool | None,
    post_mortem_timeout: float,
    script: str,
    args: tuple[str, ...],
) -> None:
    """Run a local-mode driver SCRIPT with debugging in every training and serving container.

    SCRIPT runs as with `python SCRIPT ARGS...`. Each debuggable process prints a line like
    "training algo-1 waiting for debugger on 127.0.0.1:5678 (SRC -> /opt/ml/code)";
    attach a debugpy client there (VS Code: "type": "debugpy", "request": "attach",
    "connect" and "pathMappings" as printed). Each model-server worker gets its own port.
    Containers are removed when SCRIPT ends.
    """
    from ..runner import run_script

    try:
        options = DebugOptions.from_user(
            port,
            wait=wait,
            bind=bind,
            mode=mode,
            watch=watch,
            on_change=on_change,
            interrupt_paused=interrupt_paused,
            ide=ide,
            pycharm_build=pycharm_build,
            path_mappings=tuple(DebugOptions.parse_mapping(m) for m in mappings),
            debug_driver=debug_driver,
            ranks=DebugOptions.parse_ranks(ranks),
            post_mortem=(
                person_present(os.environ, sys.stdin.isatty(), notebook=False)
                if post_mortem is None
                else post_mortem
            ),
            post_mortem_timeout=post_mortem_timeout,
        )
        sys.exit(run_script(script, list(args), options))
    except SmdebugError as err:
        _fail(err)


@click.command(
    "export-compose",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "-o",
    "--output",
    default="docker-compose.smdebug-local.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The compose file to write.",
)
@click.argument("script", type=click.Path(dir_okay=False))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def export_compose(output: str, script: str, args: tuple[str, ...]) -> None:
    """Write a compose service that reproduces SCRIPT's training container.

    SCRIPT runs once (as `smdebug-local run --no-wait SCRIPT` would); its first training
    job's container -- image, /opt/ml mounts, input channels, hyperparameter and config
    files, SM_* variables as the image's training toolkit computes them, source at
    /opt/ml/code -- becomes the service "training" of the file, e.g. for PyCharm's Docker
    Compose interpreter. Files local mode would delete are kept in .smdebug-local/export/.
    """
    from ..export import Exporter, check_writable
    from ..runner import run_script

    try:
        path = Path(output).resolve()
        check_writable(path)
        exporter = Exporter(path, Path(".smdebug-local", "export").resolve())
        sys.exit(run_script(script, list(args), DebugOptions(wait=False), exporter=exporter))
    except SmdebugError as err:
        _fail(err)

"""The ``smdebug-local`` command: a thin click layer over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from . import __version__, messages
from .errors import SmdebugError
from .options import DEFAULT_PORT, LOOPBACK, DebugOptions


def _fail(err: SmdebugError) -> NoReturn:
    click.echo(f"smdebug-local: error: {err}", err=True)
    sys.exit(err.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="smdebug-local")
def main() -> None:
    """Debug SageMaker local-mode containers from VS Code, PyCharm or any DAP client.

    Not related to Amazon SageMaker Debugger (smdebug).
    """


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
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
    help="Host address to publish debug ports on. Anything but loopback lets "
    "other machines run code in your containers.",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="LOCAL=REMOTE",
    help="Map a local folder to the container folder its code runs from, for code "
    "baked into an image (e.g. --map ./program=/opt/program). Repeatable.",
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
    help="Follow the jobs' source folders: an edit reruns the training job (new "
    "container, same inputs, its own output folder) or reloads the endpoint's "
    "model-server workers. Keeps running after SCRIPT ends, until Ctrl-C.",
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
    from .runner import run_script

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
        )
        sys.exit(run_script(script, list(args), options))
    except SmdebugError as err:
        _fail(err)


@main.command(
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
    from .export import Exporter, check_writable
    from .runner import run_script

    try:
        path = Path(output).resolve()
        check_writable(path)
        exporter = Exporter(path, Path(".smdebug-local", "export").resolve())
        sys.exit(run_script(script, list(args), DebugOptions(wait=False), exporter=exporter))
    except SmdebugError as err:
        _fail(err)


@main.command()
@click.option("--force", is_flag=True, help="Download again even if the cache is complete.")
def prefetch(force: bool) -> None:
    """Download the debugpy builds containers use (once; needs network access).

    `run` does this on first use; run it ahead of time to work offline later.
    """
    try:
        from .debuggers import debugpy

        path = debugpy.prepare(
            force=force, log=lambda m: click.echo(f"smdebug-local: {m}", err=True)
        )
    except SmdebugError as err:
        _fail(err)
    click.echo(f"debugpy builds ready in {path}")


@main.command()
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
    port and (with --image) the image's Python, host-gateway and loopback port publishing.
    """
    from .doctor import run_checks

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


@main.command()
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
    from . import state
    from .compose import LABEL_RUN
    from .engine import Engine

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


@main.command()
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def clean(dry_run: bool) -> None:
    """Remove containers left behind by runs that no longer exist (e.g. a killed driver).

    Only containers labelled by smdebug-local whose run's process is gone are touched.
    """
    from .clean import clean as clean_leftovers
    from .engine import Engine

    try:
        names = clean_leftovers(Engine(), dry_run=dry_run)
    except SmdebugError as err:
        _fail(err)
    verb = "would remove" if dry_run else "removed"
    for name in names:
        click.echo(f"{verb} container {name}")
    click.echo(f"{verb} {len(names)} container(s)")


@main.group()
def init() -> None:
    """Write IDE configuration for debugging local-mode containers."""


def _bridge_gateway() -> str:
    """The Docker bridge gateway host-gateway maps to (172.17.0.1 if Docker cannot say)."""
    from .engine import Engine

    try:
        return Engine().bridge_gateway() or "172.17.0.1"
    except (SmdebugError, ImportError):
        return "172.17.0.1"


def _write_ide_files(folder: Path, write) -> None:
    """Run ``write`` (returns the paths it wrote) and list them; failures are one line."""
    try:
        for path in write():
            click.echo(f"wrote {path}")
    except SmdebugError as err:
        _fail(err)
    except OSError as err:
        _fail(messages.NOT_WRITABLE.error(folder=folder, reason=err.strerror))


@init.command("vscode")
@click.option(
    "--script",
    required=True,
    type=click.Path(dir_okay=False),
    help="Your local-mode driver script (F5 runs `python -m smdebug_local run --port N SCRIPT`).",
)
@click.option(
    "--source-dir",
    default="src",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The source_dir your estimator/model uses (mapped to the containers' code).",
)
@click.option(
    "--port",
    type=int,
    default=DEFAULT_PORT,
    show_default=True,
    metavar="N",
    help="First debug port; the task runs `run --port N`, which pins the ports "
    "the configurations name (a taken one stops the run: VS Code never "
    "attaches to another container).",
)
@click.option(
    "--serving-workers",
    type=click.IntRange(0, 64),
    default=1,
    show_default=True,
    help="Attach configurations for this many model-server workers (0: training only).",
)
@click.option(
    "--hosts",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Training hosts (instance_count): one attach configuration each.",
)
@click.option(
    "--training-code-dir",
    default="/opt/ml/code",
    show_default=True,
    help="Container folder of the training code (/opt/ml/input/data/code for SDK "
    "3.x ModelTrainer).",
)
@click.option(
    "--mode",
    type=click.Choice(["listen", "connect"]),
    default="listen",
    show_default=True,
    help='connect: one listen configuration ("restart": true) that every '
    "container of `run --mode connect` connects back to.",
)
@click.option(
    "--listen-host",
    metavar="ADDR",
    help="connect mode: address VS Code listens on (default: the Docker bridge "
    "gateway, which host.docker.internal resolves to).",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The VS Code workspace folder (where .vscode/ lives).",
)
def init_vscode(
    script: str,
    source_dir: str,
    port: int,
    serving_workers: int,
    hosts: int,
    training_code_dir: str,
    mode: str,
    listen_host: str | None,
    workspace: str,
) -> None:
    """Write .vscode/launch.json attach configurations and a tasks.json pre-launch task.

    One F5 on "smdebug-local: training" starts `PYTHON -m smdebug_local run --port N SCRIPT`
    and attaches when the container is ready; a run that fails shows VS Code's "Error exists
    after running preLaunchTask" instead. PYTHON is the absolute path of the interpreter
    running this command, so the task works whatever PATH VS Code's task shell has: run
    `init vscode` again after switching virtualenvs to update it. Attach the serving
    configurations once the workers print "debugger listening". Existing files keep their
    comments and your own entries; only entries smdebug-local wrote before are replaced.
    """
    from . import messages
    from .ide import vscode

    root = Path(workspace).resolve()
    try:
        DebugOptions(port=port)
        for what, path in (("script", script), ("source dir", source_dir)):
            if not (root / path).exists():
                raise messages.WORKSPACE_PATH_MISSING.error(what=what, path=path, root=root)
        connect = mode == "connect"
        if listen_host is not None:
            import ipaddress

            try:
                ipaddress.ip_address(listen_host)
            except ValueError:
                raise messages.LISTEN_HOST.error(host=listen_host) from None
        layout = vscode.Layout(
            script=Path(script).as_posix(),
            source_dir=Path(source_dir).as_posix().rstrip("/"),
            port=port,
            serving_workers=serving_workers,
            training_hosts=hosts,
            training_code_dir=training_code_dir,
            mode=mode,
            listen_host=(listen_host or _bridge_gateway()) if connect else LOOPBACK,
            # Always --port, even the default: it pins the ports launch.json names.
            run_args=(*(("--mode", "connect") if connect else ()), "--port", str(port)),
        )
    except SmdebugError as err:
        _fail(err)
    _write_ide_files(root / ".vscode", lambda: vscode.init(root, layout))


@init.command("pycharm")
@click.option(
    "--source-dir",
    default="src",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The source_dir your estimator/model uses (mapped to the containers' code).",
)
@click.option(
    "--port",
    type=int,
    default=DEFAULT_PORT,
    show_default=True,
    metavar="N",
    help="Training's Debug Server port; serving's is N+1 (as `run --ide pycharm`).",
)
@click.option(
    "--training-code-dir",
    default="/opt/ml/code",
    show_default=True,
    help="Container folder of the training code (/opt/ml/input/data/code for SDK "
    "3.x ModelTrainer).",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The PyCharm project folder (where .idea/ lives).",
)
def init_pycharm(source_dir: str, port: int, training_code_dir: str, workspace: str) -> None:
    """Write PyCharm "Python Debug Server" run configurations into .idea/runConfigurations.

    "smdebug-local: training" listens on --port with your source folder mapped to the
    training code, "smdebug-local: serving" on --port + 1 mapped to the model's code, and
    "smdebug-local: all debug servers" starts both. Start them, then run
    `smdebug-local run --ide pycharm SCRIPT`: each container connects to its role's server.
    """
    from .ide import pycharm

    root = Path(workspace).resolve()
    try:
        DebugOptions(port=port + 1)
        if not (root / source_dir).is_dir():
            raise messages.WORKSPACE_PATH_MISSING.error(
                what="source dir", path=source_dir, root=root
            )
    except SmdebugError as err:
        _fail(err)
    files = pycharm.files(Path(source_dir).as_posix().rstrip("/"), port, training_code_dir)
    _write_ide_files(root / ".idea", lambda: pycharm.write(root, files))

"""`init vscode` and `init pycharm`: IDE configuration in the user's workspace."""

from __future__ import annotations

from pathlib import Path

import click

from .. import messages
from ..errors import SmdebugError
from ..options import DEFAULT_PORT, LOOPBACK, DebugOptions
from . import fail as _fail

# Options both IDEs' init commands take, worded once.
SOURCE_DIR = click.option(
    "--source-dir",
    default="src",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The source_dir your estimator/model uses (mapped to the containers' code).",
)
TRAINING_CODE_DIR = click.option(
    "--training-code-dir",
    default="/opt/ml/code",
    show_default=True,
    help="Container folder of the training code (/opt/ml/input/data/code for SDK "
    "3.x ModelTrainer).",
)
SERVING_CODE_DIR = click.option(
    "--serving-code-dir",
    default="/opt/ml/model/code",
    show_default=True,
    help="Container folder the model server's workers import your code from (/opt/ml/code "
    "for the scikit-learn and XGBoost containers).",
)


@click.group()
def init() -> None:
    """Write IDE configuration for debugging local-mode containers."""


def _bridge_gateway() -> str:
    """The Docker bridge gateway host-gateway maps to (172.17.0.1 if Docker cannot say)."""
    from ..engine import Engine

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
@SOURCE_DIR
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
    "--ranks-per-host",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Distributed training (torchrun, MPI): processes per host, each with its own "
    'attach configuration, and a compound "training (all ranks)".',
)
@TRAINING_CODE_DIR
@SERVING_CODE_DIR
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
    "--debug-driver",
    is_flag=True,
    help='Also a configuration "smdebug-local: driver" for the driver process itself '
    "(`run --debug-driver`: ModelBuilder's Mode.IN_PROCESS, your script's own code); F5 "
    "on it starts the run. It takes --port, the containers the ports after it.",
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
    ranks_per_host: int,
    training_code_dir: str,
    serving_code_dir: str,
    mode: str,
    listen_host: str | None,
    debug_driver: bool,
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
    from ..ide import vscode

    root = Path(workspace).resolve()
    try:
        DebugOptions(port=port)
        for what, path in (("script", script), ("source dir", source_dir)):
            if not (root / path).exists():
                raise messages.WORKSPACE_PATH_MISSING.error(what=what, path=path, root=root)
        connect = mode == "connect"
        if debug_driver and connect:
            raise messages.DRIVER_CONNECT.error()
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
            ranks_per_host=ranks_per_host,
            training_code_dir=training_code_dir,
            serving_code_dir=serving_code_dir,
            mode=mode,
            listen_host=(listen_host or _bridge_gateway()) if connect else LOOPBACK,
            driver=debug_driver,
            # Always --port, even the default: it pins the ports launch.json names.
            run_args=(
                *(("--mode", "connect") if connect else ()),
                *(("--debug-driver",) if debug_driver else ()),
                "--port",
                str(port),
            ),
        )
    except SmdebugError as err:
        _fail(err)
    _write_ide_files(root / ".vscode", lambda: vscode.init(root, layout))


@init.command("pycharm")
@SOURCE_DIR
@click.option(
    "--port",
    type=int,
    default=DEFAULT_PORT,
    show_default=True,
    metavar="N",
    help="Training's Debug Server port; serving's is N+1 (as `run --ide pycharm`).",
)
@TRAINING_CODE_DIR
@SERVING_CODE_DIR
@click.option(
    "--workspace",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="The PyCharm project folder (where .idea/ lives).",
)
def init_pycharm(
    source_dir: str, port: int, training_code_dir: str, serving_code_dir: str, workspace: str
) -> None:
    """Write PyCharm "Python Debug Server" run configurations into .idea/runConfigurations.

    "smdebug-local: training" listens on --port with your source folder mapped to the
    training code, "smdebug-local: serving" on --port + 1 mapped to the model's code, and
    "smdebug-local: all debug servers" starts both. Start them, then run
    `smdebug-local run --ide pycharm SCRIPT`: each container connects to its role's server.
    """
    from ..ide import pycharm

    root = Path(workspace).resolve()
    try:
        DebugOptions(port=port + 1)
        if not (root / source_dir).is_dir():
            raise messages.WORKSPACE_PATH_MISSING.error(
                what="source dir", path=source_dir, root=root
            )
    except SmdebugError as err:
        _fail(err)
    files = pycharm.files(
        Path(source_dir).as_posix().rstrip("/"), port, training_code_dir, serving_code_dir
    )
    _write_ide_files(root / ".idea", lambda: pycharm.write(root, files))

"""VS Code integration: attach configurations, compounds and a pre-launch task.

``smdebug-local init vscode`` writes into ``.vscode/launch.json`` one ``debugpy`` attach
configuration per training host and one per model-server worker (with a compound for all
training hosts, and one for all workers, when there are several), and into
``.vscode/tasks.json`` a background task that starts ``python -m smdebug_local run --port N
SCRIPT`` with the interpreter that wrote it. The training configuration names the task as
``preLaunchTask``; its problem matcher is active from the start, ends on the bootstrap's
"waiting for debugger" / "debugger listening" line and records every ``smdebug-local:
error:`` line as a problem -- so one F5 starts the job and attaches once the container is
ready, and a run that fails ends with VS Code's "Error exists after running preLaunchTask"
prompt instead of an attach. ``--port`` pins every port of the run (see
:class:`smdebug_local.ports.PortAllocator`): the ports in launch.json are the run's, or the
run stops; never another container's.

Serving configurations have no pre-launch task and are in no compound with training: the
serving containers start only when the driver deploys, long after F5; attach them once the
workers print "debugger listening".

Entries are ours when their ``presentation.group`` (launch configurations, compounds) is
``smdebug-local`` or their label (tasks) starts with ``smdebug-local:``; only those are ever
replaced. Existing files are edited in place (comments, trailing commas and the user's own
entries survive), written atomically, and an unparsable file is left untouched.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..compose import DebugTarget
from ..files import write_atomic
from ..messages import JSONC_INVALID, SOURCE_OUTSIDE_WORKSPACE
from ..options import DEFAULT_PORT
from ..roles import ROLES, SERVING_CODE_DIR
from . import jsonc, template

GROUP = "smdebug-local"
TASK_LABEL = "smdebug-local: run"
# Matches the lines the in-container bootstrap prints when debugpy listens, or is about to
# connect back to the IDE (connect mode): the task's end of "starting", when VS Code attaches.
# The process's name may follow the host (rank, worker, TensorFlow task; the driver's pid),
# then its stack.
READY_PATTERN = (
    r"smdebug-local: \S+ \S+ (rank \d+/\d+ |[a-z]+(?: \d+)? |\d+ )?(\([^)]*\) )?"
    r"(waiting for debugger on|debugger listening on|connecting to debugger at) "
)
# A problem VS Code records (and then prompts "Error exists after running preLaunchTask"
# instead of attaching). Group 1 is the file VS Code files it under: a task line names no
# file, so the marker goes to a "smdebug-local" entry in the workspace folder.
ERROR_PATTERN = r"^(smdebug-local): error: (.*)$"
# The task is active from its start (so VS Code waits for it however long the image pull
# takes); it becomes active again only when watch mode reruns a training job, and
# VS Code waits for the new container's ready line before a new attach.
RERUN_PATTERN = r"smdebug-local: .* changed: rerunning "
LISTEN_NAME = "smdebug-local: listen (connect-back)"
DRIVER_NAME = "smdebug-local: driver"
# debugpy's adapter reads "restart" from the attach request and asks VS Code to restart
# the session when a debuggee ends, so VS Code listens again for the next run; the Python
# Debugger's published schema omits it, so VS Code flags it.
RESTART_COMMENT = (
    'restart: listen again after each run. VS Code says "Property restart is '
    "not allowed\" (the Python Debugger's schema omits it), but debugpy's "
    "adapter reads it: keep it"
)


@dataclass(frozen=True)
class Layout:
    """What the configurations point at: the driver, the source folder, the ports."""

    script: str  # driver script, relative to the workspace
    source_dir: str  # the estimator's source_dir, relative to the workspace
    port: int = DEFAULT_PORT  # the first host port (`--port`)
    serving_workers: int = 1
    run_args: tuple[str, ...] = ()
    training_hosts: int = 1  # instance_count of the training job
    ranks_per_host: int = 1  # processes per host of a distributed job (torchrun, MPI)
    training_code_dir: str = "/opt/ml/code"  # /opt/ml/input/data/code for ModelTrainer
    # Where the model server's workers import the code from: the model's code/ copy
    # (TorchServe, MMS, TF Serving), /opt/ml/code for scikit-learn/XGBoost's gunicorn.
    serving_code_dir: str = SERVING_CODE_DIR
    mode: str = "listen"  # "connect": one listen configuration the containers connect to
    listen_host: str = "172.17.0.1"  # connect mode: the Docker bridge address
    # The ports a run really got (`run --ide vscode`); None: as allocation would give them
    # on a machine where they are free (training hosts first, then serving workers).
    training_ports: tuple[int, ...] | None = None
    serving_ports: tuple[int, ...] | None = None
    # What each training port is for ("algo-2 rank 3"); None: as `training_hosts` x
    # `ranks_per_host` number them.
    training_labels: tuple[str, ...] | None = None
    # The task runs `python -m smdebug_local` with this interpreter's absolute path: VS Code
    # runs tasks in a login shell, whose PATH (Debian's /etc/profile resets it) need not
    # hold the virtualenv. Running `init vscode` again from another venv updates it.
    python: str = field(default_factory=lambda: sys.executable)
    # `run --debug-driver`: the driver process listens first (on `port`; the containers then
    # take the next ports), and its configuration is the one F5 starts the run from.
    driver: bool = False
    driver_port: int | None = None


def run_layout(
    targets: list[DebugTarget],
    workspace: Path,
    script: str,
    port: int,
    port_explicit: bool,
    connect: bool,
    listen_host: str = "",
    driver_port: int | None = None,
) -> Layout | None:
    """The layout of a run in progress (``run --ide vscode``): its real ports and folders.

    None until a training or serving target or the driver (``driver_port``) listens; an
    error if the source folder lies outside the workspace (``${workspaceFolder}`` could not
    name it). ``port_explicit`` is not needed (an explicit port is the run's first port)
    but kept for the callers.
    """
    code_dirs = {"training": ROLES["training"].code_dirs, "serving": ROLES["serving"].live_code}
    found = {
        role: [m for t in targets if t.role == role for m in t.mappings if m[1] in dirs]
        for role, dirs in code_dirs.items()
    }
    primary = (found["training"] or found["serving"])[:1]
    if not primary and driver_port is None:
        return None
    # With only the driver: its own folder (no container maps one).
    local = primary[0][0] if primary else os.path.dirname(os.path.abspath(script))
    rel = os.path.relpath(local, workspace)
    if rel.startswith(".."):
        raise SOURCE_OUTSIDE_WORKSPACE.error(local=local, workspace=workspace)
    training = [t for t in targets if t.role == "training" and t.host_ports]
    training_ports = tuple(p for t in training for p in t.host_ports)
    serving_ports = tuple(p for t in targets if t.role == "serving" for p in t.host_ports)
    # The task pins the run's ports (--port never moves one), from the first port this run
    # really has: the one the first configuration names, even if this run, started without
    # --port, moved on. With an explicit port that is `port` itself.
    pinned = (
        port
        if connect
        else (((driver_port,) if driver_port else ()) + training_ports + serving_ports + (port,))[0]
    )
    return Layout(
        script=Path(os.path.relpath(os.path.abspath(script), workspace)).as_posix(),
        source_dir=Path(rel).as_posix(),
        port=pinned,
        training_ports=training_ports,
        training_labels=_port_labels(training),
        ranks_per_host=len(training[0].host_ports) if training else 1,
        serving_ports=serving_ports,
        training_code_dir=found["training"][0][1] if found["training"] else "/opt/ml/code",
        serving_code_dir=next(
            (t.mappings[0][1] for t in targets if t.role == "serving" and t.mappings),
            SERVING_CODE_DIR,
        ),
        mode="connect" if connect else "listen",
        listen_host=listen_host or "127.0.0.1",
        driver=driver_port is not None,
        driver_port=driver_port,
        run_args=(
            "--ide",
            "vscode",
            *(("--mode", "connect") if connect else ()),
            *(("--debug-driver",) if driver_port is not None else ()),
            "--port",
            str(pinned),
        ),
    )


def _port_labels(training: list[DebugTarget]) -> tuple[str, ...]:
    """What each training port of a run is for: its host (when there are several) and its
    rank, or its process slot where the ranks are not known."""
    labels = []
    for t in training:
        for k in range(len(t.host_ports)):
            words = [t.host] if len(training) > 1 else []
            if len(t.slot_ranks) == len(t.host_ports):
                words.append(f"rank {t.slot_ranks[k]}")
            elif len(t.host_ports) > 1:
                words.append(f"process {k + 1}")
            labels.append(" ".join(words))
    return tuple(labels)


def _attach(name: str, port: int, remote_root: str, layout: Layout) -> dict:
    return {
        "name": name,
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": "127.0.0.1", "port": port},
        "pathMappings": [
            {"localRoot": f"${{workspaceFolder}}/{layout.source_dir}", "remoteRoot": remote_root}
        ],
        "justMyCode": False,
        "presentation": {"group": GROUP},
    }


def launch_entries(layout: Layout) -> tuple[list[dict], list[dict]]:
    """The configurations and compounds for ``layout``.

    Ports follow smdebug-local's allocation, which the task's ``--port`` pins: each training
    host (container) takes the next port (the next ``ranks_per_host`` ports in a distributed
    job: each rank takes the one of its local rank, so a configuration names its rank),
    then each serving worker the next one. The first training configuration (the driver's,
    with ``--debug-driver``) starts the run (``preLaunchTask``). The all-hosts compound runs
    the task itself before it attaches any host (members started at once would attach to
    hosts 2.. before their containers exist); F5 on it attaches when the first host is
    ready. Serving is in no compound with training: its containers exist only once the
    driver deploys.
    """
    if layout.mode == "connect":
        # The IDE listens; every container (training, serving, processing) connects and
        # translates paths itself, so one configuration without pathMappings serves all.
        return [
            {
                "name": LISTEN_NAME,
                "type": "debugpy",
                "request": "attach",
                "listen": {"host": layout.listen_host, "port": layout.port},
                "justMyCode": False,
                "restart": True,
                "presentation": {"group": GROUP},
            }
        ], []
    ranks = layout.ranks_per_host
    per_host = layout.training_hosts * ranks
    first = layout.port + (1 if layout.driver else 0)  # the driver listens first
    training_ports = (
        layout.training_ports
        if layout.training_ports is not None
        else tuple(first + i for i in range(per_host))
    )
    serving_ports = (
        layout.serving_ports
        if layout.serving_ports is not None
        else tuple(first + per_host + i for i in range(layout.serving_workers))
    )
    hosts = max(1, len(training_ports) // ranks)
    # What each training port is for. A rank takes its host's port of its local rank (the
    # bootstrap's port_slot), so algo-H's k-th port is rank (H-1)*N+k.
    labels = layout.training_labels
    if labels is None or len(labels) != len(training_ports):
        labels = tuple(
            " ".join(
                ([f"algo-{i // ranks + 1}"] if hosts > 1 else [])
                + ([f"rank {i}"] if ranks > 1 else [])
            )
            for i in range(len(training_ports))
        )
    training = [
        _attach(
            "smdebug-local: training" + (f" {label}" if label else ""),
            port,
            layout.training_code_dir,
            layout,
        )
        for label, port in zip(labels, training_ports)
    ]
    driver = []
    if layout.driver:
        # Its code is on this machine: no pathMappings. It starts the run: the driver
        # listens (and by default waits) before any container exists.
        driver = [
            {
                "name": DRIVER_NAME,
                "type": "debugpy",
                "request": "attach",
                "connect": {"host": "127.0.0.1", "port": layout.driver_port or layout.port},
                "justMyCode": False,
                "presentation": {"group": GROUP},
                "preLaunchTask": TASK_LABEL,
            }
        ]
    elif training:
        training[0]["preLaunchTask"] = TASK_LABEL
    serving = [
        _attach(f"smdebug-local: serving worker {i + 1}", port, layout.serving_code_dir, layout)
        for i, port in enumerate(serving_ports)
    ]
    compounds = []
    if len(training) > 1:
        compounds.append(
            {
                "name": "smdebug-local: training (all ranks)"
                if ranks > 1
                else "smdebug-local: training (all hosts)",
                "configurations": [c["name"] for c in training],
                **({} if layout.driver else {"preLaunchTask": TASK_LABEL}),
                "presentation": {"group": GROUP},
            }
        )
    if len(serving) > 1:
        compounds.append(
            {
                "name": "smdebug-local: serving (all workers)",
                "configurations": [c["name"] for c in serving],
                "presentation": {"group": GROUP},
            }
        )
    return [*driver, *training, *serving], compounds


def task_command(layout: Layout) -> str:
    """``PYTHON -m smdebug_local run ARGS SCRIPT``, quoted for the task's shell."""
    return shlex.join(
        [layout.python, "-m", "smdebug_local", "run", *layout.run_args, layout.script]
    )


def task_entries(layout: Layout) -> list[dict]:
    """The background task that starts the run and tells VS Code when to attach.

    VS Code waits for a background ``preLaunchTask`` until its problem matcher goes
    inactive: at the ready line, or when the process ends. It ignores the exit status of a
    background task, so a failed run must leave a problem: every ``smdebug-local: error:``
    line is one, and VS Code then prompts instead of attaching. The error line is not an
    ``endsPattern`` as well: VS Code does not look for problems in lines that end (or
    begin) background activity, and the run exits right after it anyway.
    """
    return [
        {
            "label": TASK_LABEL,
            "type": "shell",
            "command": task_command(layout),
            "isBackground": True,
            "problemMatcher": {
                "owner": "smdebug-local",
                "source": "smdebug-local",
                "severity": "error",
                "fileLocation": ["relative", "${workspaceFolder}"],
                "pattern": {"regexp": ERROR_PATTERN, "file": 1, "message": 2},
                "background": {
                    "activeOnStart": True,
                    "beginsPattern": RERUN_PATTERN,
                    "endsPattern": READY_PATTERN,
                },
            },
        }
    ]


def _owned_launch(entry: object) -> bool:
    return isinstance(entry, dict) and (entry.get("presentation") or {}).get("group") == GROUP


def _owned_task(entry: object) -> bool:
    return isinstance(entry, dict) and str(entry.get("label", "")).startswith("smdebug-local:")


def merge(
    text: str,
    key: str,
    entries: list[dict],
    owned,
    path: Path,
    comments: dict[str, str] | None = None,
) -> str:
    """Replace our entries of the array ``key`` in ``text`` by ``entries``."""
    try:
        root = jsonc.parse(text)
    except jsonc.JsoncError as err:
        raise JSONC_INVALID.error(path=path, reason=err) from None
    if root.kind != "object":
        raise JSONC_INVALID.error(path=path, reason="its top level must be an object")
    array = root.get(key)
    if array is None:
        # Add the key as the object's last member.
        close = root.end - 1
        member = f'"{key}": []'
        if root.items:
            text = text[: root.items[-1].end] + f",\n  {member}" + text[root.items[-1].end :]
        else:
            text = text[:close] + f"\n  {member}\n" + text[close:]
        root = jsonc.parse(text)
        array = root.get(key)
    if array is None or array.kind != "array":
        raise JSONC_INVALID.error(path=path, reason=f'"{key}" must be a list')
    drop = [n for n in array.items if owned(n.to_python())]
    return jsonc.replace_items(text, array, drop, list[object](entries), comments)


def render(workspace: Path, layout: Layout) -> dict[Path, str]:
    """New contents of launch.json and tasks.json (nothing written yet)."""
    configs, compounds = launch_entries(layout)
    launch = workspace / ".vscode" / "launch.json"
    tasks = workspace / ".vscode" / "tasks.json"
    launch_text = launch.read_text() if launch.exists() else template("vscode-launch.json")
    launch_text = merge(
        launch_text, "configurations", configs, _owned_launch, launch, {"restart": RESTART_COMMENT}
    )
    launch_text = merge(launch_text, "compounds", compounds, _owned_launch, launch)
    tasks_text = tasks.read_text() if tasks.exists() else template("vscode-tasks.json")
    tasks_text = merge(tasks_text, "tasks", task_entries(layout), _owned_task, tasks)
    return {launch: launch_text, tasks: tasks_text}


def init(workspace: Path, layout: Layout) -> list[Path]:
    """Write the VS Code files for ``layout``; both are rendered before either is written."""
    rendered = render(workspace, layout)
    for path, text in rendered.items():
        write_atomic(path, text)
    return list(rendered)

"""Every problem smdebug-local can name, with its fix: one catalogue, used everywhere.

The CLI prints ``smdebug-local: error: <problem>; <fix>`` (one line, exit 2), ``doctor``
shows the problem and the fix in their own columns, and the README's troubleshooting table
is this catalogue rendered (``python -m smdebug_local.messages`` prints it; a test keeps
the README equal to it). Raise one with ``raise NAME.error(field=value)``.

``{field}`` placeholders are filled in when raised; the table shows them as ``...``.
Notices are lines that are not errors (the run goes on); they are listed for the table.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from .errors import SmdebugError


@dataclass(frozen=True)
class Message:
    """A problem a user can fix, and the fix, as templates."""

    problem: str
    fix: str
    notice: bool = False  # a line the run goes on after, not an error
    # Printed inside containers by the payload, which cannot import this module (stdlib
    # only, Python 3.8): a test checks the payload says exactly this.
    payload: bool = False

    def parts(self, **fields: object) -> tuple[str, str]:
        """``(problem, fix)`` with the fields filled in."""
        return self.problem.format(**fields), self.fix.format(**fields)

    def text(self, **fields: object) -> str:
        return "; ".join(self.parts(**fields))

    def error(self, **fields: object) -> SmdebugError:
        return SmdebugError(self.problem.format(**fields), self.fix.format(**fields))

    def row(self) -> str:
        """This message as a row of the README's troubleshooting table."""

        def shown(template: str) -> str:
            parts = string.Formatter().parse(template)
            text = "".join(
                literal + ("..." if name is not None else "") for literal, name, _, _ in parts
            )
            return re.sub(r"'\.\.\.'", "...", text)

        return f"| `{shown(self.problem)}` | {shown(self.fix)} |"


# -- the machine ----------------------------------------------------------------------------
DOCKER_DOWN = Message(
    "cannot reach the Docker engine ({reason})",
    "start Docker (e.g. `sudo systemctl start docker` or Docker Desktop) and retry",
)
DOCKER_LOST = Message(
    "the Docker engine stopped answering during the run (restarted or stopped): the run's "
    "containers stopped with it",
    "start the job again once Docker is back",
)
DOCKER_NOT_BACK = Message(
    "the Docker engine did not come back within {seconds} s: this run's containers are still there",
    "`smdebug-local clean` removes them once Docker is back (the next run in this folder "
    "does it by itself)",
    notice=True,
)
COMPOSE_MISSING = Message(
    "Docker Compose is not installed (neither `docker compose` v2 nor `docker-compose`)",
    "install it (e.g. `apt-get install docker-compose` or the Docker Compose plugin)",
)
COMPOSE_UNRECOGNISED = Message(
    "the SageMaker SDK does not recognise this Docker Compose ({plugin}): it looks for 'v2' "
    "in `docker compose version`",
    "put a `docker-compose` binary on PATH",
)
SDK_MISSING = Message(
    "the SageMaker Python SDK is not installed in this Python",
    "install it with `pip install 'sagemaker[local]'`",
)
SDK_UNSUPPORTED = Message(
    "sagemaker {version} has none of the local modes smdebug-local hooks (sagemaker.local, "
    "sagemaker.core.local, sagemaker.train.local)",
    "install a supported SDK: `pip install 'sagemaker>=2.200'` (see the README's support matrix)",
)
DEBUGPY_DOWNLOAD = Message(
    "could not download debugpy {version} ({reason})",
    "run `smdebug-local prefetch` once with network access",
)
DEBUGPY_NO_WHEEL = Message(
    "no universal debugpy wheel among {wheels}",
    "run `smdebug-local prefetch --force` with network access",
)
ARCHITECTURE = Message(
    "unsupported CPU architecture {machine!r}",
    "run on x86_64 or arm64 (aarch64); debugpy has no Linux build for this one",
)

# -- options --------------------------------------------------------------------------------
SCRIPT_MISSING = Message(
    "script {script!r} not found",
    "pass the path of your local-mode driver script (e.g. smdebug-local run train_local.py)",
)
PORT_TAKEN = Message(
    "debug port {port} on {bind} is already in use", "free it or choose another with --port"
)
SCRIPT_FAILED = Message(
    "{script} failed ({what})", "its output above says why; fix it and run again"
)
PORT_PINNED = Message(
    "debug port {port} on {bind} is already in use (--port {start} pins this run's ports to "
    "{start}, {start}+1, ... as the IDE's configurations name them)",
    "free it, or choose another --port (and `init vscode --port` with it)",
)
NO_FREE_PORT = Message("no free debug port from {start} to {end}", "lower --port")
PORT_RANGE = Message("port {port} is out of range", "use 1-65535 (e.g. --port 5678)")
BIND_NOT_IP = Message(
    "--bind {bind!r} is not an IP address", "use 127.0.0.1 (default) or an address of this machine"
)
CHOICE = Message("{option} {value!r} is not one of {choices}", "pick one of them")
PYCHARM_LISTEN = Message(
    "--ide pycharm makes containers connect back to PyCharm", "drop --mode listen"
)
MAP_SYNTAX = Message("--map {text!r} is not LOCAL=REMOTE", "e.g. --map ./program=/opt/program")
RANKS_SYNTAX = Message(
    "--ranks {text!r} is neither `all` nor a list of ranks", "e.g. --ranks 0 or --ranks 0,2"
)
POST_MORTEM_TIMEOUT = Message(
    "--post-mortem-timeout {seconds:g} is not a number of seconds above 0",
    "e.g. --post-mortem-timeout 600, or --no-post-mortem to let crashes fail at once",
)
MAP_NOT_DIR = Message(
    "--map: {local!r} is not a directory", "give the local folder that holds the container's code"
)
LISTEN_HOST = Message(
    "--listen-host {host!r} is not an IP address",
    "use the Docker bridge address (`docker network inspect bridge`, e.g. 172.17.0.1)",
)
NOTEBOOK_USAGE = Message(
    "%smdebug_local: {problem}",
    "usage: %smdebug_local on [--port N] [--wait|--no-wait] [--bind ADDR] "
    "[--post-mortem|--no-post-mortem] | off | status | stacks",
)

# -- IDE files and the workspace --------------------------------------------------------------
WORKSPACE_PATH_MISSING = Message(
    "{what} {path!r} not found in {root}", "give it relative to the workspace folder"
)
NOT_WRITABLE = Message("cannot write to {folder} ({reason})", "check the folder's permissions")
FILE_NOT_OURS = Message(
    "{path} exists and was not written by smdebug-local",
    "choose another file (export-compose -o), or rename or move yours",
)
FILE_UNREADABLE = Message("cannot read {path} ({reason})", "choose another -o")
JSONC_INVALID = Message(
    "{path} is not valid JSON with comments ({reason})",
    "fix or move that file (.vscode/launch.json or tasks.json); it was not changed",
)
SOURCE_OUTSIDE_WORKSPACE = Message(
    "the source folder {local} is outside the workspace {workspace}",
    "run from the folder that holds it",
)
STATE_UNREADABLE = Message(
    "{path} cannot be read ({reason})", "delete it (it is rewritten by the next run)"
)
STATE_VERSION = Message(
    "{path} is not a state file of this smdebug-local version",
    "delete it (it is rewritten by the next run)",
)
STATE_NOT_WRITTEN = Message(
    "cannot write {path} ({reason}); the run goes on, but smdebug-local status and the VS "
    "Code extension will not see it",
    "free space on (or make writable) the workspace's .smdebug-local folder",
    notice=True,
)
ANOTHER_RUN = Message(
    "another run is going on in this workspace (pid {pid}, {script}): this run's debug "
    "targets are listed in {path}",
    "`smdebug-local status` shows both runs",
    notice=True,
)
NOT_REMOVED = Message(
    "could not remove this run's containers ({reason})",
    "`smdebug-local clean` removes them (the next run in this folder does it by itself)",
    notice=True,
)
EARLIER_RUN_REMOVED = Message(
    "removed {count} container(s) left by an earlier run in this workspace (pid {pid}, "
    "{script}), whose process was killed",
    "they held its debug ports and data mounts; this run goes on",
    notice=True,
)
NO_RUN = Message(
    "no smdebug-local run in {root}",
    "start one with `smdebug-local run SCRIPT` (or run status in its folder)",
)
NO_SUCH_RUN = Message(
    "no run {run} going on in {root}",
    "`smdebug-local status` lists the runs going on here and their ids",
)

# -- PyCharm -------------------------------------------------------------------------------
PYCHARM_BUILD_UNKNOWN = Message(
    "cannot find your PyCharm's build number",
    "pass it with --pycharm-build (Help > About, e.g. 263.7307.50)",
)
PYCHARM_BUILD_INVALID = Message(
    "--pycharm-build {build!r} is not a PyCharm build number",
    "copy it from Help > About (e.g. 263.7307.50, not the version 2026.3)",
)
PYCHARM_DOWNLOAD = Message(
    "could not download pydevd-pycharm~={build} ({reason})",
    "check the build number (Help > About) and network access",
)
PYCHARM_BROKEN = Message(
    "pydevd-pycharm {version} has no pydevd_pycharm.py", "report this with the build number"
)

# -- the VS Code extension (smdebug-local vscode ...) ----------------------------------------
NO_BUNDLED_EXTENSION = Message(
    "this installation carries no VS Code extension ({path} is missing: installed from "
    "source, not from the release wheel)",
    "install smdebug-local from its release wheel (`dev/release` builds it), or, in an "
    "editable install of a checkout, build the extension with `bash vscode/build.sh`",
)
EDITOR_NOT_FOUND = Message(
    "`{editor}` is not on PATH",
    "install the editor's command-line launcher (VS Code: Command Palette > \"Shell Command: "
    "Install 'code' command in PATH\") or name another with --editor",
)
NO_EDITOR = Message(
    "no VS Code command on PATH (looked for {editors})",
    "install the editor's command-line launcher (VS Code: Command Palette > \"Shell Command: "
    "Install 'code' command in PATH\") or pass --editor",
)
EDITOR_CLI_FAILED = Message(
    "`{command}` failed: {reason}",
    "run it yourself to see the editor's whole message; "
    "`code --install-extension <vsix>` with `smdebug-local vscode path` installs by hand",
)

# -- export-compose ------------------------------------------------------------------------
EXPORT_NO_JOB = Message(
    "the script started no training job",
    "export-compose exports the container of the first fit() (local mode, local_code)",
)
EXPORT_NO_TOOLKIT = Message(
    "could not compute SM_* in image {image} ({reason})",
    "export-compose needs the SageMaker training toolkit (sagemaker-training) in the image, "
    "as SageMaker's framework images have",
)

# -- why a container failed (after the job's traceback) ---------------------------------
IMAGE_NO_PYTHON = Message(
    "image {image} has no Python interpreter (python3/python not found)",
    "smdebug-local debugs Python entry points: use an image with Python 3.8 or newer",
    notice=True,
)
IMAGE_OLD_PYTHON = Message(
    "image {image} has Python {version}",
    "debugpy needs Python 3.8 or newer: use a newer image",
    notice=True,
)
IMAGE_MISSING = Message(
    "image {image} is not on this machine and could not be pulled",
    "build it or `docker pull {image}`, then run again",
    notice=True,
)

DRIVER_CONNECT = Message(
    "--debug-driver listens on this machine for your IDE to attach",
    "drop --mode connect and --ide pycharm for this run (or debug the driver script "
    "with your IDE's own launch configuration)",
)

# -- notices: the run goes on ------------------------------------------------------------
EXPOSED = Message(
    "WARNING: debug ports are published on {bind}: anyone who can reach this address can run "
    "code in the containers and read their AWS credentials (only loopback endpoints let in "
    "your own account alone)",
    "keep the default --bind 127.0.0.1 unless this network is yours alone",
    notice=True,
)
ACCOUNTS_UNCHECKED = Message(
    "this system does not say which account owns a connection: any local account can attach "
    "to this run's debug endpoints (the containers still let in only this run)",
    "on a shared machine, debug on Linux or keep other accounts off it",
    notice=True,
)
CODE_NOT_LOCATED = Message(
    "could not find the local folder of the code local mode copied to {copy_dir} (searched "
    "{roots})",
    "breakpoints need `--map LOCAL_DIR=<container code dir>` (processing code travels "
    "through S3: run from the folder that holds the script)",
    notice=True,
)
PROGRAM_NOT_LOCATED = Message(
    "{role} runs {program} from its image, and no folder under {roots} has the same files "
    "as the image's {folder}",
    "its code is debugged only with `--map LOCAL_DIR={folder}` (LOCAL_DIR: your copy of that "
    "folder; rebuild the image if your copy changed since)",
    notice=True,
)
PROGRAM_UNREADABLE = Message(
    "could not read the program folder of {image} ({reason})",
    "breakpoints in a program baked into the image need `--map LOCAL_DIR=<its folder>`",
    notice=True,
)
MODEL_BUILDER_HOST_NETWORK = Message(
    "ModelBuilder's container of {image} runs on the host's network, where a debug port "
    "would be open to other machines",
    "it runs without a debugger; model servers on Docker's bridge network (TorchServe, MMS: "
    "ModelBuilder(model_server=ModelServer.TORCHSERVE)) are debugged",
    notice=True,
)
NGINX_TIMEOUT = Message(
    "{where} paused for {seconds}s, longer than nginx's proxy_read_timeout ({timeout}s in "
    "{path}): the client of this request got 504 Gateway Time-out from nginx",
    "raise proxy_read_timeout in that file (and rebuild the image) to pause longer",
    notice=True,
    payload=True,
)
COLLECTIVE_TIMEOUT = Message(
    "{where} paused for {seconds}s, longer than the default timeout of its {backend} process "
    "group ({timeout}s): the other ranks' collectives give up and the job fails unless your "
    "code passed a longer init_process_group(timeout=...)",
    "pass one while debugging",
    notice=True,
    payload=True,
)
CONNECT_NO_LISTENER = Message(
    "no debugger listening on {host}:{port}",
    "start your IDE's listen configuration first",
    notice=True,
    payload=True,
)
CONNECT_SILENT_LISTENER = Message(
    "something on {host}:{port} accepted the connection but sent nothing in {seconds}s: not "
    "a debugger (an IDE listener left behind, e.g. by a reloaded VS Code window?)",
    "end the process holding port {port} on the host, then start your IDE's listen "
    "configuration again",
    notice=True,
    payload=True,
)
PYCHARM_NO_SERVER = Message(
    "no PyCharm debug server listening on {host}:{port}",
    'start the "smdebug-local: {role}" configuration first',
    notice=True,
    payload=True,
)
WATCH_PAUSED = Message(
    "{files} changed: {job} is paused at a breakpoint",
    "the change applies when you continue (run with --interrupt-paused to apply changes at once)",
    notice=True,
)


def catalogue() -> dict[str, Message]:
    """Every message, by name, in the order of the README's table."""
    return {name: value for name, value in globals().items() if isinstance(value, Message)}


def markdown_table() -> str:
    rows = ["| message | fix |", "| --- | --- |"]
    rows += [m.row() for m in catalogue().values()]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())

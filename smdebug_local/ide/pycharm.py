"""PyCharm integration: "Python Debug Server" run configurations, one per role.

``smdebug-local init pycharm`` writes ``.idea/runConfigurations/smdebug_local_*.xml``: a
Debug Server for training (port P, source folder -> the training code folder), one for
serving (P+1, source folder -> ``/opt/ml/model/code``) and a compound that starts both.
``smdebug-local run --ide pycharm`` makes each container connect to its role's server with
pydevd-pycharm (:mod:`smdebug_local.pycharm`); the IDE translates paths with the mapping
of the configuration the container connected to, which is why each role has its own port.

Files are ours by name (``smdebug_local_*.xml``) *and* by the comment inside them; a file
of that name without the comment is the user's and is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template
from xml.sax.saxutils import quoteattr

from .. import messages
from ..files import write_atomic
from ..options import HOST_FROM_CONTAINER, PYCHARM_PORT_OFFSETS
from ..roles import SERVING_CODE_DIR
from . import template

FOLDER = Path(".idea", "runConfigurations")
MARKER = "Written by smdebug-local init pycharm"


@dataclass(frozen=True)
class Server:
    """One Debug Server configuration: where it listens, what it maps."""

    role: str
    port: int
    local_root: str  # e.g. $PROJECT_DIR$/src
    remote_root: str

    @property
    def name(self) -> str:
        return f"smdebug-local: {self.role}"

    @property
    def filename(self) -> str:
        return f"smdebug_local_{self.role}.xml"


def servers(
    source_dir: str,
    port: int,
    training_code_dir: str = "/opt/ml/code",
    serving_code_dir: str = SERVING_CODE_DIR,
) -> list[Server]:
    local = "$PROJECT_DIR$" + ("" if source_dir in ("", ".") else f"/{source_dir}")
    return [
        Server("training", port + PYCHARM_PORT_OFFSETS["training"], local, training_code_dir),
        Server("serving", port + PYCHARM_PORT_OFFSETS["serving"], local, serving_code_dir),
    ]


def render(server: Server) -> str:
    return Template(template("pycharm-debug-server.xml")).substitute(
        name=quoteattr(server.name),
        port=quoteattr(str(server.port)),
        host=quoteattr(HOST_FROM_CONTAINER),
        local_root=quoteattr(server.local_root),
        remote_root=quoteattr(server.remote_root),
    )


def render_compound(name: str, members: list[Server]) -> str:
    lines = "\n".join(
        f'    <toRun name={quoteattr(m.name)} type="PyRemoteDebugConfigurationType" />'
        for m in members
    )
    return Template(template("pycharm-compound.xml")).substitute(
        name=quoteattr(name), members=lines
    )


def files(
    source_dir: str,
    port: int,
    training_code_dir: str = "/opt/ml/code",
    serving_code_dir: str = SERVING_CODE_DIR,
) -> dict[str, str]:
    """File name -> content of every configuration ``init pycharm`` writes."""
    found = servers(source_dir, port, training_code_dir, serving_code_dir)
    out = {s.filename: render(s) for s in found}
    out["smdebug_local_all.xml"] = render_compound("smdebug-local: all debug servers", found)
    return out


def write(workspace: Path, contents: dict[str, str]) -> list[Path]:
    """Write the configurations; a same-named file we did not write stops everything first."""
    folder = workspace / FOLDER
    targets = [folder / name for name in contents]
    for path in targets:
        if path.exists() and MARKER not in path.read_text(errors="replace"):
            raise messages.FILE_NOT_OURS.error(path=path)
    folder.mkdir(parents=True, exist_ok=True)
    for path in targets:
        write_atomic(path, contents[path.name])
    return targets

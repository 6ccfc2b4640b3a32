"""Bring-your-own containers: the image folder local mode's ``train``/``serve`` runs from,
and the user's folder with the same files, mapped without a ``--map``.

Local mode starts every container with the command ``train`` or ``serve``. A toolkit image
resolves it to its own console script (in a ``bin`` folder); a bring-your-own image ships
its program in a folder of its own -- AWS's samples use ``/opt/program``, on ``PATH`` and
the working directory. When the user's workspace holds a folder with the same files
(byte-identical, as :mod:`.sources` finds processing code), that folder is the program's
source and breakpoints in it map onto the image's.

:func:`program_dirs` is pure; :class:`Programs` reads the image through the engine, once
per image and command in a run.
"""

from __future__ import annotations

import posixpath
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import messages, runtimes, sources
from .compose import env_to_dict

if TYPE_CHECKING:
    from .engine import Engine

COMMANDS = ("train", "serve")
# Folders that hold what an image installs, never a program folder of its own (local mode
# mounts /opt/ml; a toolkit's `train` is a console script in a bin folder; a stack's own
# folders, such as TensorFlow Serving's /sagemaker on its PATH).
_NOT_PROGRAM_DIRS = ("/opt/ml", *runtimes.own_dirs())


def program_dirs(config: Mapping, command: str) -> tuple[str, ...]:
    """The image folders that may hold ``command`` as a program of the image's own, in
    the order the container would find it (``PATH``, then the working directory).

    ``config`` is the image's ``Config`` (``Env``, ``WorkingDir``) as the engine reports it.
    """
    if command not in COMMANDS:
        return ()
    env = env_to_dict(config.get("Env"))
    candidates = [*env.get("PATH", "").split(":"), config.get("WorkingDir") or ""]
    dirs = []
    for folder in candidates:
        folder = posixpath.normpath(folder) if folder else ""
        if (
            folder.startswith("/")
            and folder != "/"
            and posixpath.basename(folder) not in ("bin", "sbin")
            and not any(folder == d or folder.startswith(d + "/") for d in _NOT_PROGRAM_DIRS)
        ):
            dirs.append(folder)
    return tuple(dict.fromkeys(dirs))


@dataclass(frozen=True)
class Program:
    """Where a container's program comes from: the image's folder and the user's copy."""

    remote: str
    local: str | None


class Programs:
    """The bring-your-own programs of one run's images, each looked up once."""

    def __init__(
        self,
        engine: Engine,
        labels: Mapping[str, str],
        script: Callable[[], str],
        note: Callable[[str], None],
    ) -> None:
        self._engine = engine
        self._labels = labels
        self._script = script
        self._note = note
        self._found: dict[tuple[str, str], Program | None] = {}

    def find(self, image: str, command: str, role: str) -> Program | None:
        """The program ``command`` runs from in ``image``, with the user's folder of the
        same files if there is one (else a notice says which ``--map`` is needed); None
        when the command is the image's toolkit, the image is not here yet, or it cannot be
        read (never an error: the run goes on as without this)."""
        if command not in COMMANDS:
            return None
        key = (image, command)
        if key not in self._found:
            try:
                self._found[key] = self._look(image, command, role)
            except Exception as exc:  # a convenience must not fail the user's fit()
                self._note(messages.PROGRAM_UNREADABLE.text(image=image, reason=exc))
                self._found[key] = None
        return self._found[key]

    def _look(self, image: str, command: str, role: str) -> Program | None:
        config = self._engine.image_config(image)
        folders = program_dirs(config, command) if config is not None else ()
        if not folders:
            return None
        with tempfile.TemporaryDirectory(prefix="smdebug-local-program-") as copy:
            remote = self._engine.copy_program(image, folders, command, Path(copy), self._labels)
            if remote is None:
                return None
            roots = sources.search_roots(self._script())
            local = sources.find_original(copy, roots)
        if local is None:
            self._note(
                messages.PROGRAM_NOT_LOCATED.text(
                    role=role,
                    program=f"{remote}/{command}",
                    folder=remote,
                    roots=", ".join(roots),
                )
            )
        return Program(remote, local)

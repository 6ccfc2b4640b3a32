"""What counts as a source change, and which job it affects (watch mode's pure rules).

Nothing here touches the file system: :mod:`smdebug_local.watch.content` reads the ignore
files, walks folders and hashes contents.

A save is rarely one event: editors write a temp file and rename it, ``git checkout``
touches hundreds of files, and a ``touch`` changes nothing. These rules turn raw file
events into *one* decision per job:

* :class:`IgnoreRules` drop what no job runs: VCS and cache folders, editor temp and swap
  files, and what the folder's ``.gitignore`` / ``.dockerignore`` exclude;
* :class:`Debouncer` waits for a quiet period (bounded by a cap, so a never-ending stream
  of events still gets acted on);
* :class:`~smdebug_local.watch.content.ContentIndex` keeps a digest per file, so only
  changed *content* counts;
* :func:`affected` maps changed files to the jobs whose source folder holds them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import pathspec

# Never code a job runs: version control, caches, notebooks' autosaves, editors' temp and
# swap files (vim: .swp/.swo/.swx, `~` backups and its `4913` write probe; emacs: `#x#`,
# `.#x`; JetBrains safe-write: `___jb_tmp___`/`___jb_old___`; VS Code and others: `.tmp`),
# and smdebug-local's own state folder.
DEFAULT_IGNORES = (
    ".git/",
    ".hg/",
    ".svn/",
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    ".ipynb_checkpoints/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".venv/",
    "venv/",
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    "4913",
    r"\#*#",
    ".#*",
    "*___jb_tmp___",
    "*___jb_old___",
    "*.tmp",
    ".DS_Store",
    ".smdebug-local/",
)
IGNORE_FILES = (".gitignore", ".dockerignore")

# A burst ends after this much quiet; a stream that never pauses is cut at the cap.
QUIET_SECONDS = 0.3
CAP_SECONDS = 2.0


class IgnoreRules:
    """Which paths under ``root`` to leave alone: the defaults plus ``lines`` (the root's
    ignore files' lines, read by :func:`smdebug_local.watch.content.ignore_rules`).

    ``.dockerignore`` uses Go's pattern rules rather than git's; read with git's rules it
    excludes the same files for the usual patterns (``*.csv``, ``data/``, ``!keep.py``).
    """

    def __init__(self, root: str | os.PathLike, lines: Sequence[str] = ()) -> None:
        self.root = os.path.abspath(root)
        self._spec = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_IGNORES, *lines])

    def ignored(self, path: str | os.PathLike) -> bool:
        """True if ``path`` (absolute, or relative to the root) should not trigger anything."""
        path = os.fspath(path)
        if os.path.isabs(path):
            full = os.path.abspath(path)
            if os.path.commonpath([full, self.root]) != self.root:
                return True  # outside this root
            text = PurePath(os.path.relpath(full, self.root)).as_posix()
        else:
            text = PurePath(path).as_posix()
        # git's rules: a folder's pattern ("data/") also matches every file below it.
        return text in ("", ".") or self._spec.match_file(text)

    def ignored_dir(self, relative: str) -> bool:
        """True if the folder ``relative`` (to the root) is ignored with all it holds."""
        return self._spec.match_file(PurePath(relative).as_posix() + "/")


class Debouncer:
    """Collects paths until events pause for ``quiet`` seconds, or ``cap`` after the first."""

    def __init__(self, quiet: float = QUIET_SECONDS, cap: float = CAP_SECONDS) -> None:
        self.quiet = quiet
        self.cap = cap
        self._paths: set[str] = set()
        self._first: float | None = None
        self._last: float | None = None

    def add(self, path: str, now: float) -> None:
        self._paths.add(path)
        if self._first is None:
            self._first = now
        self._last = now

    def deadline(self) -> float | None:
        """When the collected burst is due (None: nothing collected)."""
        if self._first is None or self._last is None:
            return None
        return min(self._last + self.quiet, self._first + self.cap)

    def take(self, now: float) -> set[str]:
        """The burst's paths if it is due (and start a new burst), else nothing."""
        due = self.deadline()
        if due is None or now < due:
            return set()
        paths, self._paths = self._paths, set()
        self._first = self._last = None
        return paths


@dataclass(frozen=True)
class Source:
    """What a job runs from: its folder on this machine and its entry point file name
    (``entry_only``: the job gets that one file, as a ScriptProcessor uploads only its
    script -- other files of the folder are not its source)."""

    kind: str  # "training", "processing" or "serving"
    directory: str
    entry_point: str | None = None
    entry_only: bool = False


def _under(path: str, directory: str) -> bool:
    return os.path.commonpath(
        [os.path.abspath(path), os.path.abspath(directory)]
    ) == os.path.abspath(directory)


def affected(changed: Iterable[str], source: Source, others: Sequence[Source] = ()) -> list[str]:
    """The changed files that concern a job running from ``source``.

    One source folder often holds both ``train.py`` and ``inference.py``: an edit of a
    serving entry point is not a reason to rerun a training or processing job (unless it
    runs that very file), so it only counts for the endpoint.
    """
    serving_entries = {
        os.path.join(o.directory, o.entry_point)
        for o in others
        if o.kind == "serving" and o.entry_point
    }
    own = os.path.join(source.directory, source.entry_point) if source.entry_point else None
    out = []
    for path in changed:
        if not _under(path, source.directory):
            continue
        if source.entry_only and path != own:
            continue
        if source.kind != "serving" and path in serving_entries and path != own:
            continue
        out.append(path)
    return out

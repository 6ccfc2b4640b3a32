"""Find the user's directory that a downloaded copy of their code came from.

Processing jobs upload the user's script to S3 and local mode mounts a fresh *download* of
it, so the compose file names a temporary directory, not the user's. Breakpoints need the
user's own path: we look for a directory under the workspace whose files are byte-identical
to the copy -- or, for a FrameworkProcessor's ``source_dir``, to the members of the
``sourcedir.tar.gz`` it uploads (its ``runproc.sh`` unpacks it in the container). The walk is bounded and skips what never holds user code (virtualenvs, VCS and
cache directories), so a large workspace costs milliseconds, not seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from . import messages

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ipynb_checkpoints",
        ".tox",
        ".nox",
        ".smdebug-local",
    }
)
MAX_COPY_FILES = 200
MAX_WALKED = 20_000
# A FrameworkProcessor's upload of its source_dir, and how much of one is read.
ARCHIVE = "sourcedir.tar.gz"
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024

# A copy's files: relative path -> (size, its bytes when needed).
Contents = dict[Path, tuple[int, Callable[[], bytes]]]


def _files(root: Path) -> list[Path]:
    """Relative paths of the regular files under ``root`` (at most MAX_COPY_FILES + 1)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            found.append(Path(dirpath, name).relative_to(root))
            if len(found) > MAX_COPY_FILES:
                return found
    return found


def _on_disk(root: Path, files: list[Path]) -> Contents:
    def reader(path: Path) -> Callable[[], bytes]:
        return path.read_bytes

    return {rel: ((root / rel).stat().st_size, reader(root / rel)) for rel in files}


def _constant(body: bytes) -> Callable[[], bytes]:
    return lambda: body


def _archived(archive: Path) -> Contents | None:
    """The regular files of a FrameworkProcessor's source archive (None: unreadable or
    larger than the bounds a lookup allows)."""
    import tarfile

    contents: Contents = {}
    total = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                rel = Path(member.name)
                if not member.isfile() or rel.is_absolute() or ".." in rel.parts:
                    continue
                if any(part in SKIP_DIRS for part in rel.parts):
                    continue
                total += member.size
                if len(contents) >= MAX_COPY_FILES or total > MAX_ARCHIVE_BYTES:
                    return None
                data = tar.extractfile(member)
                body = data.read() if data is not None else b""
                contents[rel] = (len(body), _constant(body))
    except (OSError, tarfile.TarError, EOFError):
        return None
    return contents or None


def _contents(copy: Path) -> Contents | None:
    """What the user's folder must hold for ``copy`` to be a copy of it."""
    files = _files(copy) if copy.is_dir() else []
    if files == [Path(ARCHIVE)]:
        return _archived(copy / ARCHIVE)
    if not files or len(files) > MAX_COPY_FILES:
        return None
    try:
        return _on_disk(copy, files)
    except OSError:
        return None


def _same(expected: tuple[int, Callable[[], bytes]], path: Path) -> bool:
    size, read = expected
    try:
        return path.stat().st_size == size and path.read_bytes() == read()
    except OSError:
        return False


def find_original(copy_dir: str, roots: Iterable[str]) -> str | None:
    """The directory under ``roots`` holding the same files as ``copy_dir``, or None.

    Every file of the copy (of its source archive, for a FrameworkProcessor's) must exist
    with identical bytes at the same relative path (the original may hold more files: a
    ScriptProcessor uploads only its one script).
    """
    copy = Path(copy_dir)
    contents = _contents(copy)
    if not contents:
        return None
    files = list(contents)
    probe = min(files, key=lambda rel: (rel.suffix != ".py", len(rel.parts), str(rel)))
    parents, depth = probe.parts[:-1], len(probe.parts) - 1
    walked = 0
    seen: set[Path] = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            walked += len(filenames)
            if walked > MAX_WALKED:
                return None
            here = Path(dirpath)
            if here in seen:
                continue
            seen.add(here)
            if probe.name not in filenames or here.parts[len(here.parts) - depth :] != parents:
                continue
            base = here
            for _ in probe.parts[:-1]:
                base = base.parent
            if base.resolve() == copy.resolve():
                continue
            if all(_same(contents[rel], base / rel) for rel in files):
                return str(base.resolve())
    return None


def locate(copy_dir: str, script: str, note: Callable[[str], None], *, mapped: bool) -> str | None:
    """The user's folder behind ``copy_dir``, searched from the working directory and the
    driver ``script``'s; when a copy there is not found and the user ``mapped`` nothing,
    ``note`` says how."""
    roots = search_roots(script)
    found = find_original(copy_dir, roots)
    if found is None and not mapped and os.path.isdir(copy_dir):
        note(messages.CODE_NOT_LOCATED.text(copy_dir=copy_dir, roots=", ".join(roots)))
    return found


def search_roots(script: str) -> list[str]:
    """Where a driver script's code usually lives: the working directory and the script's."""
    script_dir = os.path.dirname(os.path.abspath(script)) if script else ""
    return list(dict.fromkeys(r for r in (os.getcwd(), script_dir) if r))

"""The user cache of debugger trees containers load from a read-only mount.

Containers get no network and no pip from us: the host downloads a debugger once and keeps
the unpacked tree here. Every tree is built in a temporary sibling, gets a ``.complete``
marker last and is renamed into place, so an interrupted download never leaves a half tree
that looks usable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MARKER = ".complete"


def cache_root() -> Path:
    """The user cache directory (``$SMDEBUG_LOCAL_CACHE``, else XDG, else ~/.cache)."""
    if os.environ.get("SMDEBUG_LOCAL_CACHE"):
        return Path(os.environ["SMDEBUG_LOCAL_CACHE"]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser().resolve() / "smdebug-local"


def is_complete(tree: Path, stamp: str | None = None) -> bool:
    """True if ``tree`` was fully built -- and, given ``stamp``, built as ``stamp`` says
    (a tree assembled by an older recipe is built again)."""
    try:
        text = (tree / MARKER).read_text().strip()
    except OSError:
        return False
    return stamp is None or text == stamp


def install_tree(final: Path, build: Callable[[Path, Path], str]) -> Path:
    """Build the tree at ``final`` once: ``build(scratch, tree)`` fills ``tree`` (using
    ``scratch`` for downloads) and returns the stamp kept in the marker (the version it
    installed, and how)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=f".{final.name}-") as tmp:
        tree = Path(tmp, "tree")
        tree.mkdir()
        version = build(Path(tmp, "scratch"), tree)
        (tree / MARKER).write_text(version + "\n")
        # Readable by the container's user, whoever that is.
        for path in [tree, *tree.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if final.exists():
            shutil.rmtree(final)
        tree.rename(final)
    return final

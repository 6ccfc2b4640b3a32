"""Watch mode's view of the disk: ignore files read, folders walked, contents hashed.

The rules themselves are pure (:mod:`smdebug_local.watch.filters`); this module feeds
them what is on disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from .filters import IGNORE_FILES, IgnoreRules


def ignore_rules(root: str) -> IgnoreRules:
    """The rules for ``root``: defaults plus its ``.gitignore`` and ``.dockerignore``."""
    root = os.path.realpath(root)
    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            with open(os.path.join(root, name), errors="replace") as f:
                lines += f.read().splitlines()
        except OSError:
            continue
    return IgnoreRules(root, lines)


def files(rules: IgnoreRules) -> list[str]:
    """Every file under the rules' root that is not ignored (pruning ignored folders)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(rules.root):
        rel_dir = os.path.relpath(dirpath, rules.root)
        dirnames[:] = [
            d for d in dirnames if not rules.ignored_dir(os.path.normpath(os.path.join(rel_dir, d)))
        ]
        found += [
            os.path.join(dirpath, f)
            for f in filenames
            if not rules.ignored(os.path.normpath(os.path.join(rel_dir, f)))
        ]
    return found


def digest(path: str) -> str | None:
    """The file's content digest; None if it does not exist (or is not a readable file)."""
    try:
        with open(path, "rb") as f:
            return hashlib.blake2b(f.read()).hexdigest()
    except OSError:
        return None


class ContentIndex:
    """The last seen content of each file, so a touch or a save of the same text is no
    change, and a file rewritten and restored within one burst is none either."""

    def __init__(self) -> None:
        self._digests: dict[str, str | None] = {}

    def baseline(self, paths: Iterable[str]) -> None:
        for path in paths:
            self._digests[path] = digest(path)

    def changed(self, paths: Iterable[str]) -> list[str]:
        """The paths whose content differs from last time (created, edited or deleted)."""
        out = []
        for path in sorted(paths):
            if os.path.isdir(path):
                continue
            now = digest(path)
            if self._digests.get(path) != now:
                out.append(path)
            self._digests[path] = now
        return out

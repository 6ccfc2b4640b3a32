"""debugpy's bytecode per image: compiled once by the image's own Python, then mounted.

The debugpy tree is mounted read-only, so a container's Python cannot keep the bytecode it
compiles: every debugged process (and debugpy's adapter) compiled pydevd again, about
0.2 s of each start. The first time a run meets an image, a throw-away container of that
image compiles the tree with the image's Python (in the background: that run starts as
before); from then on every container of the image gets the result mounted read-only and
the payload loads it (:mod:`smdebug_local.payload._smdebug_local_bytecode`). Bytecode is
kept per image ID, so no image's output is ever loaded by another image's containers.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from ..engine import Engine, engine_errors
from ..payload import CONTAINER_BOOT_DIR, CONTAINER_DEBUGPY_DIR
from .cache import MARKER, cache_root, install_tree, is_complete
from .debugpy import versions

SCRIPT = f"{CONTAINER_BOOT_DIR}/_smdebug_local_bytecode.py"
OUT = "/out"


def directory(image_id: str, debugpy_dir: Path, root: Path | None = None) -> Path:
    """Where ``image_id``'s bytecode of the debugpy trees in ``debugpy_dir`` is kept: a new
    place whenever a tree is assembled again (its marker changes)."""
    stamps = []
    for version in versions():
        try:
            stamps.append((debugpy_dir / version / MARKER).read_text())
        except OSError:
            stamps.append("")
    digest = hashlib.sha256("\n".join([image_id, *stamps]).encode()).hexdigest()[:24]
    return (root or cache_root()) / "bytecode" / digest


class Bytecode:
    """The run's bytecode per image: ready, or being compiled (once per image)."""

    def __init__(
        self, engine: Engine, labels: Mapping[str, str], boot_dir: str, debugpy_dir: str
    ) -> None:
        self._engine = engine
        self._labels = dict(labels)  # the compiling container is the run's: `clean` finds it
        self._boot_dir = boot_dir
        self._debugpy_dir = debugpy_dir
        self._targets: dict[str, Path] = {}  # image -> its bytecode folder
        self._started: set[Path] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.threads: list[threading.Thread] = []

    def for_image(self, image: str) -> str | None:
        """The host folder to mount for ``image``'s containers, or None: not compiled yet
        (then compiling starts, for the image's next containers), or not possible."""
        target = self._targets.get(image)
        if target is None:  # once per image (every host of a job asks)
            try:
                image_id = self._engine.image_id(image)
            except engine_errors():
                return None
            if image_id is None:  # not local yet: asked again next time
                return None
            target = self._targets[image] = directory(image_id, Path(self._debugpy_dir))
        if is_complete(target):
            return str(target)
        with self._lock:
            if target in self._started or self._closed:
                return None
            self._started.add(target)
        thread = threading.Thread(
            target=self._compile, args=(image, target), name="smdebug-local-bytecode"
        )
        thread.daemon = True
        thread.start()
        self.threads.append(thread)
        return None

    def _compile(self, image: str, target: Path) -> None:
        def build(scratch: Path, tree: Path) -> str:
            for python in ("python3", "python"):
                try:
                    code = self._engine.run_removed(
                        image,
                        [python, "-S", SCRIPT, CONTAINER_DEBUGPY_DIR, OUT],
                        user=f"{os.getuid()}:{os.getgid()}",  # the files are the user's
                        network_mode="none",
                        labels=self._labels,
                        volumes={
                            self._boot_dir: {"bind": CONTAINER_BOOT_DIR, "mode": "ro"},
                            self._debugpy_dir: {"bind": CONTAINER_DEBUGPY_DIR, "mode": "ro"},
                            str(tree): {"bind": OUT, "mode": "rw"},
                        },
                    )
                except engine_errors():
                    continue
                if code == 0:
                    return image
            raise RuntimeError(f"{image}: no Python compiled debugpy")

        try:
            install_tree(target, build)
        except (OSError, RuntimeError):
            pass  # containers of the image compile debugpy themselves, as before

    def close(self, timeout: float = 30.0) -> None:
        """Start no more; let a compile under way finish (a few seconds, once per image),
        so no container of it outlives the run."""
        with self._lock:
            self._closed = True
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

"""Prepare, once per user, the debugpy builds that containers load from a read-only mount.

The host downloads the wheels once with pip and assembles one tree per debugpy version:
the pure-Python universal wheel plus the Cython speed-ups from each CPython-specific
binary wheel -- ``pydevd_cython.cpython-3X-*.so`` (the sys.settrace tracer) and, for
Python 3.12+, ``_pydevd_sys_monitoring_cython.cpython-3X-*.so`` (the PEP 669 tracer).
Inside the container the bootstrap picks the tree for its own Python at start-up, and
pydevd picks the matching ``.so`` (or falls back to pure Python, silently and correctly,
but slower, when none matches).

Layout: ``<cache>/debugpy/<version>/debugpy/...``, built by :func:`.cache.install_tree`.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import messages
from ..payload import DEBUGPY_BUILDS
from .cache import cache_root, install_tree, is_complete

# CPython minor versions to fetch Cython builds for, per debugpy version. A Python outside
# these still works (pure-Python pydevd), only slower.
PYTHONS = {
    "1.8.22": ("3.10", "3.11", "3.12", "3.13", "3.14"),
    "1.8.21": ("3.8", "3.9"),
}

_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


def debugpy_dir(root: Path | None = None) -> Path:
    """Directory that is mounted into containers: one sub-directory per debugpy version."""
    return (root or cache_root()) / "debugpy"


def versions() -> list[str]:
    """Every debugpy version a container may ask for."""
    return [version for _, version in DEBUGPY_BUILDS]


def is_ready(root: Path | None = None) -> bool:
    """True when every debugpy tree is fully assembled."""
    return all(is_complete(debugpy_dir(root) / v, stamp(v)) for v in versions())


def linux_platform_tags(machine: str | None = None) -> list[str]:
    """pip ``--platform`` tags for the Linux containers this host runs.

    Containers run the host's architecture (Docker Desktop on Apple silicon runs aarch64
    Linux). debugpy's recent Linux wheels are tagged ``manylinux_2_34``; older ones used
    older tags, so all are offered.
    """
    arch = _MACHINES.get((machine or platform.machine()).lower())
    if arch is None:
        raise messages.ARCHITECTURE.error(machine=machine or platform.machine())
    return [f"manylinux_2_{minor}_{arch}" for minor in (34, 28, 17, 5)] + [f"manylinux2014_{arch}"]


def _pip_download(args: list[str], dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(dest),
            *args,
        ],
        capture_output=True,
        text=True,
    )


def _download(version: str, dest: Path) -> None:
    """Download the universal wheel (required) and the binary wheels (best effort)."""
    universal = _pip_download(
        [
            f"debugpy=={version}",
            "--platform",
            "any",
            "--implementation",
            "py",
            "--python-version",
            "3.10",
        ],
        dest,
    )
    if universal.returncode != 0:
        last = (universal.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise messages.DEBUGPY_DOWNLOAD.error(version=version, reason=last)
    tags = [arg for tag in linux_platform_tags() for arg in ("--platform", tag)]

    def binary(python: str) -> None:
        _pip_download(
            [
                f"debugpy=={version}",
                *tags,
                "--implementation",
                "cp",
                "--python-version",
                python,
                "--abi",
                "cp" + python.replace(".", ""),
            ],
            dest,
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(binary, PYTHONS.get(version, ())))


# The compiled modules taken from each binary wheel (pydevd falls back to pure Python
# without them). ASSEMBLY names this recipe: a tree built by an older one is rebuilt.
ACCELERATORS = ("/pydevd_cython.", "/_pydevd_sys_monitoring_cython.")
ASSEMBLY = "2"


def stamp(version: str) -> str:
    return f"{version} assembly {ASSEMBLY}"


def assemble(wheels: list[Path], target: Path) -> None:
    """Unpack the universal wheel into ``target`` and add each binary wheel's Cython modules."""
    universal = [w for w in wheels if w.name.endswith("-none-any.whl")]
    if not universal:
        raise messages.DEBUGPY_NO_WHEEL.error(wheels=", ".join(w.name for w in wheels))
    with zipfile.ZipFile(universal[0]) as zf:
        zf.extractall(target, [n for n in zf.namelist() if n.startswith("debugpy/")])
    for wheel in wheels:
        if wheel in universal:
            continue
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if (
                    name.startswith("debugpy/")
                    and name.endswith(".so")
                    and any(part in name for part in ACCELERATORS)
                ):
                    zf.extract(name, target)


def prepare(root: Path | None = None, *, force: bool = False, log=print) -> Path:
    """Make sure every debugpy tree exists in the cache; download what is missing.

    Returns the directory to mount. Raises :class:`SmdebugError` with the prefetch command
    when a download fails (typically: offline with an empty cache).
    """
    base = debugpy_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    for version in versions():
        final = base / version
        if is_complete(final, stamp(version)) and not force:
            continue
        log(f"preparing debugpy {version} for containers (once, in {base})")

        def build(scratch: Path, tree: Path, version: str = version) -> str:
            _download(version, scratch)
            assemble(sorted(scratch.glob(f"debugpy-{version}-*.whl")), tree)
            return stamp(version)

        install_tree(final, build)
    return base

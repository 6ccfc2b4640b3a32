"""PyCharm's debugger for containers: the ``pydevd-pycharm`` build matching the user's IDE.

PyCharm's "Python Debug Server" speaks pydevd's own protocol, and the debuggee must run
the ``pydevd-pycharm`` release of the IDE's build (PyCharm's dialog says
``pip install pydevd-pycharm~=<build>``). As with debugpy, the host downloads the source
distribution once and keeps the unpacked pure-Python tree in the cache.

Layout: ``<cache>/pydevd-pycharm/<build>/`` (``pydevd_pycharm.py`` and its packages; the
marker holds the version pip chose), built by :func:`.cache.install_tree`. Keyed by the
build asked for, exactly: build 263.7307.5 never reuses 263.7307.50's tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path, PurePosixPath

from .. import messages
from .cache import cache_root, install_tree, is_complete

# Where PyCharm installations keep product-info.json (Toolbox, tarball, snap, macOS).
_PRODUCT_INFO_GLOBS = (
    "~/.local/share/JetBrains/Toolbox/apps/*pycharm*/**/product-info.json",
    "/opt/*pycharm*/product-info.json",
    "/opt/*PyCharm*/product-info.json",
    "/snap/pycharm-*/current/product-info.json",
    "/Applications/PyCharm*.app/Contents/Resources/product-info.json",
    "~/Applications/PyCharm*.app/Contents/Resources/product-info.json",
)
_BUILD = re.compile(r"^\d{3}\.\d+(\.\d+)?$")  # 263.7307.50; not a version (2026.3)
# Not needed in containers; about two thirds of the source distribution.
_SKIPPED = ("tests", "tests_mainloop", "tests_python", "build_tools", "pydevd_attach_to_process")


def detect_build() -> str | None:
    """The build number of the newest PyCharm installed here (``263.7307.50``), if found."""
    from glob import glob

    builds = []
    for pattern in _PRODUCT_INFO_GLOBS:
        for path in glob(os.path.expanduser(pattern), recursive=True):
            try:
                with open(path) as f:
                    build = str(json.load(f).get("buildNumber", ""))
            except (OSError, ValueError):
                continue
            if _BUILD.match(build):
                builds.append(build)
    return max(builds, key=lambda b: tuple(int(p) for p in b.split(".")), default=None)


def check_build(build: str) -> str:
    """``build`` if it looks like a PyCharm build number, else an error naming the fix."""
    if not _BUILD.match(build):
        raise messages.PYCHARM_BUILD_INVALID.error(build=build)
    return build


def pycharm_dir(root: Path | None = None) -> Path:
    return (root or cache_root()) / "pydevd-pycharm"


def _members(tar: tarfile.TarFile, top: str) -> list[tarfile.TarInfo]:
    """The archive's files and folders below ``top``, renamed relative to it; anything that
    would land outside the tree (absolute, ``..``, links) or is not needed is left out."""
    members = []
    for m in tar.getmembers():
        parts = PurePosixPath(m.name).parts
        if not (m.isfile() or m.isdir()) or len(parts) < 2 or parts[0] != top:
            continue
        rest = parts[1:]
        if ".." in rest or rest[0] in _SKIPPED:
            continue
        m.name = "/".join(rest)
        members.append(m)
    return members


def unpack(archive: Path, tree: Path) -> None:
    """Unpack the source distribution's package files into ``tree``."""
    top = archive.name[: -len(".tar.gz")]
    with tarfile.open(archive) as tar:
        members = _members(tar, top)
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.9.17+/3.10.12+/3.11.4+
            tar.extractall(tree, members, filter="data")
        else:
            tar.extractall(tree, members)


def prepare(build: str, root: Path | None = None, *, log=print) -> Path:
    """The unpacked ``pydevd-pycharm~=build`` tree to mount (downloaded once)."""
    base = pycharm_dir(root)
    final = base / build
    if is_complete(final):
        return final
    log(f"preparing pydevd-pycharm~={build} for containers (once, in {base})")

    def download(scratch: Path, tree: Path) -> str:
        got = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(scratch),
                f"pydevd-pycharm~={build}",
            ],
            capture_output=True,
            text=True,
        )
        archives = sorted(scratch.glob("pydevd_pycharm-*.tar.gz")) + sorted(
            scratch.glob("pydevd-pycharm-*.tar.gz")
        )
        if got.returncode != 0 or not archives:
            last = (got.stderr.strip().splitlines() or ["no source distribution"])[-1]
            raise messages.PYCHARM_DOWNLOAD.error(build=build, reason=last)
        version = archives[0].name.split("-", 1)[1][: -len(".tar.gz")]
        unpack(archives[0], tree)
        if not (tree / "pydevd_pycharm.py").is_file():
            raise messages.PYCHARM_BROKEN.error(version=version)
        return version

    return install_tree(final, download)

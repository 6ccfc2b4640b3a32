"""PyCharm's debugger for containers: the ``pydevd-pycharm`` build matching the user's IDE.

PyCharm's "Python Debug Server" speaks pydevd's own protocol, and the debuggee must run
the ``pydevd-pycharm`` release of the IDE's build (PyCharm's dialog says
``pip install pydevd-pycharm~=<build>``). As with debugpy, containers get no pip and no
network from us: the host downloads the source distribution once and keeps the unpacked
pure-Python tree in the cache, mounted read-only into containers.

Layout: ``<cache>/pydevd-pycharm/<version>/`` (``pydevd_pycharm.py`` and its packages) with
a ``.complete`` marker written last; assembled in a temporary sibling and renamed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .debugpy_cache import MARKER, cache_root
from .errors import SmdebugError

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
        raise SmdebugError(f"--pycharm-build {build!r} is not a PyCharm build number; copy it "
                           "from Help > About (e.g. 263.7307.50)")
    return build


def pycharm_dir(root: Path | None = None) -> Path:
    return (root or cache_root()) / "pydevd-pycharm"


def prepare(build: str, root: Path | None = None, *, log=print) -> Path:
    """The unpacked ``pydevd-pycharm~=build`` tree to mount (downloaded once)."""
    base = pycharm_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    ready = sorted(p.parent for p in base.glob(f"{build}*/{MARKER}"))
    if ready:
        return ready[-1]
    log(f"preparing pydevd-pycharm~={build} for containers (once, in {base})")
    with tempfile.TemporaryDirectory(dir=base, prefix=".download-") as tmp:
        got = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--disable-pip-version-check", "-q", "-d", tmp, f"pydevd-pycharm~={build}"],
            capture_output=True, text=True)
        archives = sorted(Path(tmp).glob("pydevd_pycharm-*.tar.gz")) + sorted(
            Path(tmp).glob("pydevd-pycharm-*.tar.gz"))
        if got.returncode != 0 or not archives:
            last = (got.stderr.strip().splitlines() or ["no source distribution"])[-1]
            raise SmdebugError(f"could not download pydevd-pycharm~={build} ({last}); check "
                               "the build number (Help > About) and network access")
        version = archives[0].name.split("-", 1)[1][: -len(".tar.gz")]
        tree = Path(tmp, "tree")
        with tarfile.open(archives[0]) as tar:
            top = f"{archives[0].name[: -len('.tar.gz')]}/"
            members = [m for m in tar.getmembers() if m.name.startswith(top)
                       and not m.name[len(top):].split("/")[0] in _SKIPPED
                       and (m.isfile() or m.isdir())]
            for m in members:
                m.name = m.name[len(top):]
            tar.extractall(tree, [m for m in members if m.name])
        if not (tree / "pydevd_pycharm.py").is_file():
            raise SmdebugError(f"pydevd-pycharm {version} has no pydevd_pycharm.py; "
                               "report this with the build number")
        (tree / MARKER).write_text(version + "\n")
        for path in [tree, *tree.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        final = base / version
        if final.exists():
            shutil.rmtree(final)
        tree.rename(final)
    return final

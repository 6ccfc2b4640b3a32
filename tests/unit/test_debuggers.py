"""The debugpy trees containers mount: what is taken from the wheels, and when a tree built
by an older recipe is built again."""

from __future__ import annotations

import zipfile
from pathlib import Path

from smdebug_local.debuggers import debugpy

SO = "cpython-313-x86_64-linux-gnu.so"


def _wheel(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, "x")
    return path


def _wheels(folder: Path, version: str = "1.8.22") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    universal = _wheel(
        folder / f"debugpy-{version}-py2.py3-none-any.whl",
        ["debugpy/__init__.py", "debugpy/_vendored/pydevd/pydevd.py", "debugpy-x.dist-info/RECORD"],
    )
    binary = _wheel(
        folder / f"debugpy-{version}-cp313-cp313-manylinux_2_34_x86_64.whl",
        [
            "debugpy/__init__.py",
            f"debugpy/_vendored/pydevd/_pydevd_bundle/pydevd_cython.{SO}",
            f"debugpy/_vendored/pydevd/_pydevd_sys_monitoring/_pydevd_sys_monitoring_cython.{SO}",
            "debugpy/_vendored/pydevd/pydevd_attach_to_process/attach_linux_amd64.so",
        ],
    )
    return [universal, binary]


def test_both_tracers_accelerators_are_taken_and_nothing_else(tmp_path):
    """3.12+ traces with sys.monitoring (PEP 669): without its Cython module pydevd runs
    that tracer as pure Python (slower loops under the debugger)."""
    tree = tmp_path / "tree"
    debugpy.assemble(_wheels(tmp_path / "wheels"), tree)
    found = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.so"))
    assert found == [
        f"debugpy/_vendored/pydevd/_pydevd_bundle/pydevd_cython.{SO}",
        f"debugpy/_vendored/pydevd/_pydevd_sys_monitoring/_pydevd_sys_monitoring_cython.{SO}",
    ]
    assert not (tree / "debugpy-x.dist-info").exists()


def test_a_tree_of_an_older_assembly_is_built_again(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    built = []

    def download(version: str, dest: Path) -> None:
        built.append(version)
        _wheels(dest, version)

    monkeypatch.setattr(debugpy, "_download", download)
    for version in debugpy.versions():  # as an earlier smdebug-local left them
        old = debugpy.debugpy_dir(root) / version
        old.mkdir(parents=True)
        (old / ".complete").write_text(version + "\n")
    assert not debugpy.is_ready(root)
    debugpy.prepare(root, log=lambda m: None)
    assert sorted(built) == sorted(debugpy.versions()) and debugpy.is_ready(root)
    debugpy.prepare(root, log=lambda m: None)
    assert len(built) == len(debugpy.versions())  # ready trees are not built again

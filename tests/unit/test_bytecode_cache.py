"""debugpy's bytecode per image (smdebug_local.debuggers.bytecode): compiled once, in the
background, by a throw-away container of the image; kept per image ID."""

from __future__ import annotations

from pathlib import Path

import pytest

from smdebug_local.debuggers import bytecode


class CompilingEngine:
    """Stand-in for the engine: run_removed writes what the image's Python would into the
    folder mounted at /out."""

    def __init__(self, image_ids: dict[str, str], python3: bool = True) -> None:
        self.image_ids = image_ids
        self.python3 = python3
        self.runs: list[tuple[str, list[str], dict]] = []

    def image_id(self, image):
        return self.image_ids.get(image)

    def run_removed(self, image, entrypoint, timeout=120, **options):
        self.runs.append((image, entrypoint, options))
        if entrypoint[0] == "python3" and not self.python3:
            raise OSError("exec: python3: not found")
        out = next(host for host, v in options["volumes"].items() if v["bind"] == bytecode.OUT)
        (Path(out) / "cpython-311" / "1.8.22").mkdir(parents=True)
        (Path(out) / "cpython-311" / "1.8.22" / ".complete").write_text("300\n")
        return 0


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SMDEBUG_LOCAL_CACHE", str(tmp_path / "cache"))
    debugpy = tmp_path / "cache" / "debugpy" / "1.8.22"
    debugpy.mkdir(parents=True)
    (debugpy / ".complete").write_text("1.8.22 wheels\n")
    return tmp_path / "cache"


def test_the_first_container_of_an_image_starts_compiling_the_next_ones_mount_it(cache):
    engine = CompilingEngine({"img:1": "sha256:aa", "img:2": "sha256:bb"}, python3=False)
    kept = bytecode.Bytecode(engine, {"run": "r1"}, "/boot", str(cache / "debugpy"))
    assert kept.for_image("img:1") is None  # compiling, in the background
    assert kept.for_image("img:1") is None  # once
    kept.close()
    ready = kept.for_image("img:1")
    assert ready is not None and Path(ready).parent == cache / "bytecode"
    _, entrypoint, options = engine.runs[-1]
    assert entrypoint == ["python", "-S", bytecode.SCRIPT, "/opt/smdebug-local/debugpy", "/out"]
    assert options["network_mode"] == "none" and options["labels"] == {"run": "r1"}
    assert options["volumes"][str(cache / "debugpy")]["mode"] == "ro"
    assert [r[1][0] for r in engine.runs] == ["python3", "python"]  # no python3: python
    # Another image never gets this one's bytecode; after close nothing more is started.
    assert kept.for_image("img:2") is None and len(engine.runs) == 2


def test_a_tree_assembled_again_gets_its_bytecode_compiled_again(cache):
    before = bytecode.directory("sha256:aa", cache / "debugpy")
    (cache / "debugpy" / "1.8.22" / ".complete").write_text("1.8.22 other recipe\n")
    assert bytecode.directory("sha256:aa", cache / "debugpy") != before


def test_an_image_that_is_not_local_or_has_no_python_is_only_not_faster(cache):
    class NoPython(CompilingEngine):
        def run_removed(self, image, entrypoint, timeout=120, **options):
            self.runs.append((image, entrypoint, options))
            return 127

    engine = NoPython({"img:1": "sha256:aa"})
    kept = bytecode.Bytecode(engine, {}, "/boot", str(cache / "debugpy"))
    assert kept.for_image("missing:1") is None and engine.runs == []
    assert kept.for_image("img:1") is None
    kept.close()
    assert kept.for_image("img:1") is None  # nothing kept: its containers compile
    assert not (cache / "bytecode").exists() or not any((cache / "bytecode").iterdir())

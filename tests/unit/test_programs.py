"""Bring-your-own programs: which image folder `train`/`serve` runs from, the user's folder
with the same files, and what the session does with them (pure parts and a stand-in
engine; the real image is read in tests/e2e/test_byoc_servers.py)."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from smdebug_local import compose, messages
from smdebug_local.compose import Mount
from smdebug_local.engine import _unpack_files
from smdebug_local.options import DebugOptions
from smdebug_local.payload import _smdebug_local_boot as boot
from smdebug_local.ports import PortAllocator
from smdebug_local.programs import Programs, program_dirs
from smdebug_local.sdk import ComposeRequest
from smdebug_local.session import DebugSession

from fake_relay import RecordingRelay

SAMPLE = {  # AWS's scikit_bring_your_own Dockerfile: PATH and WORKDIR
    "Env": ["PATH=/opt/program:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "WorkingDir": "/opt/program",
}
TOOLKIT = {"Env": ["PATH=/opt/conda/bin:/usr/local/bin:/usr/bin:/bin"], "WorkingDir": "/"}


def test_program_folders_are_the_images_own():
    assert program_dirs(SAMPLE, "train") == ("/opt/program",)
    assert program_dirs(SAMPLE, "serve") == ("/opt/program",)
    assert program_dirs(TOOLKIT, "train") == ()  # a console script in a bin folder
    assert program_dirs({"Env": ["PATH=/app/:/opt/ml/code"], "WorkingDir": "/srv"}, "train") == (
        "/app",
        "/srv",
    )
    assert program_dirs(SAMPLE, "python3") == ()  # not local mode's command
    assert program_dirs({}, "train") == ()


def _archive(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


def test_only_regular_files_inside_the_folder_are_unpacked(tmp_path):
    archive = _archive(
        {
            "program/train": b"#!/usr/bin/env python\n",
            "program/lib/util.py": b"x = 1\n",
            "program/__pycache__/util.cpython-311.pyc": b"\0",
            "program/../../escape": b"no",
        },
        links={"program/passwd": "/etc/passwd"},
    )
    assert _unpack_files(archive, tmp_path)
    found = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert found == ["lib/util.py", "train"]


class ImageEngine:
    """Stand-in for the engine: an image whose folders are dicts of files."""

    def __init__(self, config, folders):
        self.config, self.folders, self.copies = config, folders, 0

    def image_env(self, image):
        return {}

    def image_id(self, image):
        return None  # no bytecode kept for it (tests/unit/test_bytecode_cache.py)

    def image_config(self, image):
        return self.config

    def copy_program(self, image, folders, command, dest, labels):
        self.copies += 1
        for folder in folders:
            if command in self.folders.get(folder, {}):
                for name, data in self.folders[folder].items():
                    (dest / name).parent.mkdir(parents=True, exist_ok=True)
                    (dest / name).write_bytes(data)
                return folder
        return None


PROGRAM = {
    "train": b"#!/usr/bin/env python\nprint('train')\n",
    "serve": b"#!/usr/bin/env python\nprint('serve')\n",
    "predictor.py": b"app = 1\n",
}


def _workspace(tmp_path, files):
    folder = tmp_path / "project" / "program"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return tmp_path / "project"


def test_the_users_identical_folder_is_found_once_per_image(tmp_path, monkeypatch):
    project = _workspace(tmp_path, PROGRAM)
    monkeypatch.chdir(project)
    engine = ImageEngine(SAMPLE, {"/opt/program": PROGRAM})
    notes = []
    programs = Programs(engine, {}, lambda: str(project / "driver.py"), notes.append)
    found = programs.find("img", "train", "training")
    assert (found.remote, found.local) == ("/opt/program", str((project / "program").resolve()))
    assert programs.find("img", "train", "training") == found and engine.copies == 1
    assert notes == []


def test_a_changed_copy_is_not_mapped_and_the_map_to_pass_is_said(tmp_path, monkeypatch):
    project = _workspace(tmp_path, {**PROGRAM, "predictor.py": b"app = 2  # edited\n"})
    monkeypatch.chdir(project)
    engine = ImageEngine(SAMPLE, {"/opt/program": PROGRAM})
    notes = []
    programs = Programs(engine, {}, lambda: "driver.py", notes.append)
    found = programs.find("img", "serve", "serving")
    assert (found.remote, found.local) == ("/opt/program", None)
    (note,) = notes
    assert note == messages.PROGRAM_NOT_LOCATED.text(
        role="serving", program="/opt/program/serve", folder="/opt/program", roots=str(project)
    )
    assert "--map LOCAL_DIR=/opt/program" in note and "debugged only with" in note


def test_toolkit_images_and_missing_images_are_not_looked_into(tmp_path):
    engine = ImageEngine(TOOLKIT, {})
    programs = Programs(engine, {}, lambda: "driver.py", print)
    assert programs.find("img", "train", "training") is None and engine.copies == 0
    engine.config = None  # not pulled yet
    assert Programs(engine, {}, lambda: "d.py", print).find("x", "train", "training") is None


def test_a_byoc_job_is_mapped_and_the_waiting_line_says_how(
    tmp_path, monkeypatch, sdk_training_compose
):
    project = _workspace(tmp_path, PROGRAM)
    monkeypatch.chdir(project)
    opts = DebugOptions(wait=False)
    session = DebugSession(
        opts,
        Mount("/p", "/d"),
        engine=ImageEngine(SAMPLE, {"/opt/program": PROGRAM}),
        ports=PortAllocator(opts.port, probe=lambda port, bind: True),
        workspace=Path(tempfile.mkdtemp(prefix="smdebug-local-ws-")),
        relay=RecordingRelay(),
    )
    try:
        session.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    finally:
        shutil.rmtree(session.workspace, ignore_errors=True)
    target = session.targets[0]
    local = str((project / "program").resolve())
    assert target.auto_mapped and target.mappings[0] == (local, "/opt/program")
    assert "/opt/program/*" in target.match
    config = compose.bootstrap_config(target)
    assert json.loads(json.dumps(config))["auto_mapped"] is True
    assert boot._mapping_text(config) == (
        f" ({local} -> /opt/program), mapped automatically (the same files as the image's)"
    )


def test_an_image_that_cannot_be_read_is_one_notice_never_a_failure(tmp_path):
    class Broken(ImageEngine):
        def copy_program(self, *args):
            raise ConnectionError("engine went away")

    notes = []
    programs = Programs(Broken(SAMPLE, {}), {}, lambda: "d.py", notes.append)
    assert programs.find("img", "train", "training") is None
    assert notes == [messages.PROGRAM_UNREADABLE.text(image="img", reason="engine went away")]
    assert programs.find("img", "python3", "processing") is None  # not looked into

"""PyCharm: the run configurations (XML), pydevd-pycharm in containers, build detection."""

from __future__ import annotations

import json
import os
import sys
import threading
import types
import xml.etree.ElementTree as ET

import pytest

from smdebug_local.compose import PYDEVD_PATHS_ENV, DebugTarget, Mount, transform_service
from smdebug_local.debuggers import pycharm
from smdebug_local.errors import SmdebugError
from smdebug_local.ide import pycharm as ide
from smdebug_local.options import DebugOptions
from smdebug_local.payload import CONTAINER_PYCHARM_DIR
from smdebug_local.payload import _smdebug_local_boot as boot
from smdebug_local.payload import _smdebug_local_pause as pause
from smdebug_local.payload import _smdebug_local_pycharm as pycharm_boot


def test_each_role_gets_a_debug_server_with_its_port_and_mapping():
    files = ide.files("src", 6000)
    assert set(files) == {
        "smdebug_local_training.xml",
        "smdebug_local_serving.xml",
        "smdebug_local_all.xml",
    }
    found = {}
    for name in ("smdebug_local_training.xml", "smdebug_local_serving.xml"):
        config = ET.fromstring(files[name]).find("configuration")
        assert config.get("type") == "PyRemoteDebugConfigurationType"
        assert config.get("factoryName") == "Python Remote Debug"
        options = {o.get("name"): o.get("value") for o in config.findall("option")}
        (mapping,) = config.iter("mapping")
        found[config.get("name")] = (
            options["PORT"],
            mapping.get("local-root"),
            mapping.get("remote-root"),
        )
    assert found == {
        "smdebug-local: training": ("6000", "$PROJECT_DIR$/src", "/opt/ml/code"),
        "smdebug-local: serving": ("6001", "$PROJECT_DIR$/src", "/opt/ml/model/code"),
    }
    compound = ET.fromstring(files["smdebug_local_all.xml"]).find("configuration")
    assert [t.get("name") for t in compound.iter("toRun")] == [
        "smdebug-local: training",
        "smdebug-local: serving",
    ]


def test_serving_maps_to_the_folder_its_stack_imports_from():
    files = ide.files("src", 6000, serving_code_dir="/opt/ml/code")
    config = ET.fromstring(files["smdebug_local_serving.xml"]).find("configuration")
    (mapping,) = config.iter("mapping")
    assert mapping.get("remote-root") == "/opt/ml/code"


def test_values_are_escaped_for_xml():
    text = ide.files('a&b "dir"', 5678)["smdebug_local_training.xml"]
    (mapping,) = ET.fromstring(text).iter("mapping")
    assert mapping.get("local-root") == '$PROJECT_DIR$/a&b "dir"'


def test_a_users_file_of_the_same_name_is_never_overwritten(tmp_path):
    folder = tmp_path / ".idea" / "runConfigurations"
    folder.mkdir(parents=True)
    (folder / "smdebug_local_serving.xml").write_text("<component>mine</component>")
    with pytest.raises(SmdebugError, match="was not written by smdebug-local"):
        ide.write(tmp_path, ide.files("src", 5678))
    assert (folder / "smdebug_local_serving.xml").read_text() == "<component>mine</component>"
    assert not (folder / "smdebug_local_training.xml").exists(), "nothing written half-way"
    (folder / "smdebug_local_serving.xml").unlink()
    ide.write(tmp_path, ide.files("src", 5678))
    ide.write(tmp_path, ide.files("src", 7000))  # ours: rewritten
    assert 'value="7000"' in (folder / "smdebug_local_training.xml").read_text()


def test_pycharm_containers_connect_to_their_roles_port_and_load_pydevd_pycharm():
    target = DebugTarget(
        role="serving",
        service="algo-1-abcde",
        host_ports=(),
        connect=("host.docker.internal", 5679),
        debugger="pydevd-pycharm",
        mappings=(("/src", "/opt/ml/model/code"),),
    )
    out = transform_service(
        {"image": "i", "volumes": []},
        target,
        Mount("/boot", "/debugpy", "/cache/pydevd-pycharm/263.1"),
    )
    assert f"/cache/pydevd-pycharm/263.1:{CONTAINER_PYCHARM_DIR}:ro" in out["volumes"]
    env = dict(e.split("=", 1) for e in out["environment"])
    config = json.loads(env["SMDEBUG_LOCAL"])
    assert config["debugger"] == "pydevd-pycharm"
    assert config["pydevd_pycharm"] == CONTAINER_PYCHARM_DIR
    assert config["connect"] == ["host.docker.internal", 5679]
    assert PYDEVD_PATHS_ENV not in env, "PyCharm maps paths itself (the configuration's mapping)"


def test_ide_pycharm_means_connecting_back():
    assert DebugOptions.from_user(None, ide="pycharm").mode == "connect"
    with pytest.raises(SmdebugError, match="--ide pycharm"):
        DebugOptions(ide="pycharm", mode="listen")


@pytest.mark.parametrize("build", ["263.7307.50", "252.23892"])
def test_build_numbers(build):
    assert pycharm.check_build(build) == build


def test_a_version_name_is_not_a_build_number():
    with pytest.raises(SmdebugError, match="Help > About"):
        pycharm.check_build("2026.1")


def test_the_newest_installed_pycharm_build_is_found(tmp_path, monkeypatch):
    for name, build in (("pycharm-2026.1", "261.1.2"), ("pycharm-2026.3", "263.7307.50")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "product-info.json").write_text(json.dumps({"buildNumber": build}))
    monkeypatch.setattr(
        pycharm, "_PRODUCT_INFO_GLOBS", (str(tmp_path / "*" / "product-info.json"),)
    )
    assert pycharm.detect_build() == "263.7307.50"


class FakePydevd:
    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls = []

    def settrace(self, host, **kw):
        self.calls.append((host, kw["port"]))
        if len(self.calls) <= self.refusals:
            raise ConnectionRefusedError(111, "Connection refused")


def test_pycharm_connect_retries_quietly_until_the_debug_server_listens(capsys, monkeypatch):
    monkeypatch.delenv(boot.ACTIVE_ENV, raising=False)
    fake = FakePydevd(refusals=3)
    pycharm_boot.start_pycharm(
        {
            "connect": ["host.docker.internal", 5678],
            "role": "training",
            "host": "algo-1",
            "wait": True,
        },
        module=fake,
        sleep=lambda s: None,
    )
    assert fake.calls == [("host.docker.internal", 5678)] * 4
    assert os.environ.pop(boot.ACTIVE_ENV) == str(os.getpid())
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "smdebug-local: training algo-1 connecting to PyCharm debug server at "
        "host.docker.internal:5678",
        "smdebug-local: training algo-1 debugger attached",
    ]


def test_pycharm_connect_gives_up_with_the_fix():
    clock = iter(range(0, 1000, 5))
    with pytest.raises(RuntimeError, match='start the "smdebug-local: serving" configuration'):
        pycharm_boot.start_pycharm(
            {"connect": ["h", 5679], "role": "serving", "wait": False},
            module=FakePydevd(refusals=99),
            sleep=lambda s: None,
            clock=lambda: next(clock),
        )


def test_paused_threads_reads_pydevds_thread_state(monkeypatch):
    constants = types.SimpleNamespace(STATE_SUSPEND=2)
    monkeypatch.setitem(sys.modules, "_pydevd_bundle.pydevd_constants", constants)
    assert pause.paused_threads() == 0
    thread = threading.current_thread()
    monkeypatch.setattr(
        thread, "additional_info", types.SimpleNamespace(pydev_state=2), raising=False
    )
    assert pause.paused_threads() == 1
    thread.additional_info.pydev_state = 1  # running
    assert pause.paused_threads() == 0


def test_paused_threads_also_reads_pydevds_own_threading_in_gevent_mode(monkeypatch):
    """Under gevent, pydevd's thread objects live in its saved copy of `threading`."""
    paused = types.SimpleNamespace(additional_info=types.SimpleNamespace(pydev_state=2))
    copy = types.SimpleNamespace(enumerate=lambda: [paused])
    modules = {
        "_pydevd_bundle.pydevd_constants": types.SimpleNamespace(STATE_SUSPEND=2),
        "_pydev_bundle._pydev_saved_modules": types.SimpleNamespace(threading=copy),
    }
    assert pause.paused_threads(modules) == 1
    modules.pop("_pydev_bundle._pydev_saved_modules")
    assert pause.paused_threads(modules) == 0


def _sdist(path, members: dict[str, bytes]):
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_member_never_lands_outside_the_tree(tmp_path):
    archive = _sdist(
        tmp_path / "pydevd_pycharm-263.7307.50.tar.gz",
        {
            "pydevd_pycharm-263.7307.50/pydevd_pycharm.py": b"x = 1\n",
            "pydevd_pycharm-263.7307.50/../../escaped.py": b"evil\n",
            "pydevd_pycharm-263.7307.50/pkg/../../escaped2.py": b"evil\n",
            "/abs/escaped3.py": b"evil\n",
            "pydevd_pycharm-263.7307.50/tests_python/t.py": b"skipped\n",
        },
    )
    tree = tmp_path / "cache" / "tree"
    tree.mkdir(parents=True)
    pycharm.unpack(archive, tree)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == [
        "cache/tree/pydevd_pycharm.py"
    ]


def test_a_build_never_reuses_the_tree_of_a_longer_build_number(tmp_path, monkeypatch):
    """263.7307.5 and 263.7307.50 are different builds (a prefix glob confused them)."""
    import subprocess

    other = pycharm.pycharm_dir(tmp_path) / "263.7307.50"
    other.mkdir(parents=True)
    (other / ".complete").write_text("263.7307.50\n")
    asked = []

    def pip(argv, **kwargs):
        asked.append(argv[-1])
        return subprocess.CompletedProcess(argv, 1, "", "no matching distribution")

    monkeypatch.setattr(pycharm.subprocess, "run", pip)
    with pytest.raises(SmdebugError, match=r"could not download pydevd-pycharm~=263\.7307\.5 "):
        pycharm.prepare("263.7307.5", tmp_path, log=lambda m: None)
    assert asked == ["pydevd-pycharm~=263.7307.5"]
    assert pycharm.prepare("263.7307.50", tmp_path, log=lambda m: None) == other

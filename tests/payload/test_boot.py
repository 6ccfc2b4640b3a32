"""The in-container bootstrap: version choice, entry points, listening, connecting back.

Runs under every host Python 3.8+ (tests/integration/test_payload_pythons.py), so it
imports the payload as containers do -- by itself, without the smdebug_local package.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import types

import _smdebug_local_boot as boot
import _smdebug_local_connect as back
import _smdebug_local_door as door
import _smdebug_local_ranks as ranking
import pytest


@pytest.mark.parametrize(
    "version, expected",
    [
        ((3, 7, 9), None),
        ((3, 8, 0), "1.8.21"),
        ((3, 9, 18), "1.8.21"),
        ((3, 10, 0), "1.8.22"),
        ((3, 11, 7), "1.8.22"),
        ((3, 13, 1), "1.8.22"),
        ((3, 14, 0), "1.8.22"),
    ],
)
def test_debugpy_version_for(version, expected):
    assert boot.debugpy_version_for(version) == expected


def test_a_python_37_image_is_told_what_would_make_it_debuggable(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 7, 9, "final", 0))
    with pytest.raises(RuntimeError) as raised:
        boot._import_debugpy({})
    assert str(raised.value) == (
        "Python 3.7 is older than the debugpy builds smdebug-local ships support (3.8+): "
        "use an image with Python 3.8 or newer to debug this container"
    )


def test_entry_point_of_a_script_relative_to_cwd():
    def unused():
        raise AssertionError("the full command line is only read for -m")

    assert boot.entry_point(["train.py", "--x"], "/opt/ml/code", unused) == "/opt/ml/code/train.py"
    assert boot.entry_point(["/opt/venv/bin/train"], "/", unused) == "/opt/venv/bin/train"


def test_code_and_repl_are_never_entry_points():
    assert boot.entry_point(["-c"], "/opt/ml/code", list) is None
    assert boot.entry_point([""], "/opt/ml/code", list) is None
    assert boot.entry_point([], "/opt/ml/code", list) is None


def test_module_entry_point_resolves_in_cwd(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__main__.py").write_text("")
    (tmp_path / "train.py").write_text("")
    cmd = ["python", "-m", "train", "--epochs", "1"]
    assert boot.entry_point(["-m"], str(tmp_path), lambda: cmd) == str(tmp_path / "train.py")
    assert boot.entry_point(["-m"], str(tmp_path), lambda: ["python", "-mpkg"]) == str(
        tmp_path / "pkg" / "__main__.py"
    )
    # `python -m pip install -r requirements.txt`, run by the toolkit, is not user code.
    pip = boot.entry_point(["-m"], str(tmp_path), lambda: ["python", "-m", "pip", "install"])
    assert not boot.matches(pip, [str(tmp_path) + "/*", "/opt/ml/code/*"])


def test_module_entry_point_resolves_on_sys_path(tmp_path, monkeypatch):
    """`python -m uvicorn app:app` runs uvicorn/__main__.py from site-packages."""
    site = tmp_path / "site-packages"
    (site / "fakeserver").mkdir(parents=True)
    (site / "fakeserver" / "__init__.py").write_text("")
    (site / "fakeserver" / "__main__.py").write_text("")
    (site / "single.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    cwd = str(tmp_path / "elsewhere")
    assert boot.entry_point(["-m"], cwd, lambda: ["python", "-m", "fakeserver", "x"]) == str(
        site / "fakeserver" / "__main__.py"
    )
    assert boot.entry_point(["-m"], cwd, lambda: ["python", "-m", "single"]) == str(
        site / "single.py"
    )
    assert boot.entry_point(["-m"], cwd, lambda: ["python", "-m", "no_such_module_x"]) is None


def test_gevent_mode_only_for_gevent_servers(tmp_path):
    def mode(argv, environ=None, cwd=str(tmp_path)):
        environ = dict(environ or {})
        boot.debugger_environment(environ, argv, cwd)
        return environ.get("GEVENT_SUPPORT")

    gunicorn = ["/usr/local/bin/gunicorn", "-b", "unix:/tmp/g.sock"]
    assert mode([*gunicorn, "-k", "gevent", "wsgi:app"]) == "True"
    assert mode([*gunicorn, "--worker-class=gevent", "wsgi:app"]) == "True"
    assert mode([*gunicorn, "-k", "gthread", "wsgi:app"]) is None  # threads: never
    assert mode(["/usr/local/bin/uvicorn", "asgi:app"]) is None
    assert mode(["/opt/ml/code/train.py", "--use-gevent"]) is None  # not a gunicorn
    assert mode([*gunicorn, "wsgi:app"], {"GUNICORN_CMD_ARGS": "-k gevent"}) == "True"
    (tmp_path / "gunicorn.conf.py").write_text('worker_class = "gevent"\n')
    assert mode([*gunicorn, "wsgi:app"]) == "True"
    (tmp_path / "gunicorn.conf.py").unlink()
    (tmp_path / "other.py").write_text('worker_class = "sync"\n')
    assert mode([*gunicorn, "-c", "other.py", "wsgi:app"]) is None
    (tmp_path / "other.py").write_text('worker_class = "gevent"\n')
    assert mode([*gunicorn, "-c", "python:other.py", "wsgi:app"]) == "True"
    # The job's own choice stands.
    assert mode([*gunicorn, "-k", "gevent"], {"GEVENT_SUPPORT": "False"}) == "False"


def test_matches():
    patterns = ["/opt/ml/code/*"]
    assert boot.matches("/opt/ml/code/train.py", patterns)
    assert boot.matches("/opt/ml/code/sub/helper.py", patterns)
    assert not boot.matches("/opt/venv/bin/train", patterns)
    assert not boot.matches(None, patterns)


def test_parse_config_rejects_garbage():
    with pytest.raises(ValueError):
        boot.parse_config("[]")
    with pytest.raises(ValueError):
        boot.parse_config('{"ports": []}')
    assert boot.parse_config('{"ports": [[5678, "127.0.0.1:5678"]]}')["ports"]


class FakeDebugpy:
    """Records calls; stands in for debugpy in a unit test of start()'s call order."""

    def __init__(self):
        self.calls = []

    def configure(self, **kw):
        self.calls.append(("configure", kw))

    def listen(self, address, **kw):
        self.calls.append(("listen", address, kw) if kw else ("listen", address))

    def wait_for_client(self):
        self.calls.append(("wait_for_client",))


def test_start_listens_on_all_container_interfaces_and_waits(monkeypatch, capsys):
    monkeypatch.setenv(boot.ACTIVE_ENV, "")  # restored (to unset) after the test
    monkeypatch.delenv(boot.ACTIVE_ENV)
    fake = FakeDebugpy()
    boot.start(
        {
            "role": "training",
            "host": "algo-1",
            "ports": [[5678, "127.0.0.1:5690"]],
            "wait": True,
            "mappings": [["/src", "/opt/ml/code"]],
        },
        fake,
        probe=lambda port: True,
    )
    assert fake.calls == [
        ("configure", {"subProcess": True}),
        ("listen", ("0.0.0.0", 5678)),
        ("wait_for_client",),
    ]
    err = capsys.readouterr().err
    assert (
        "smdebug-local: training algo-1 waiting for debugger on 127.0.0.1:5690 "
        "(/src -> /opt/ml/code)"
    ) in err
    assert os.environ[boot.ACTIVE_ENV] == str(os.getpid())


def test_a_worker_takes_the_first_free_port_and_says_which(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(boot, "LOCK_FILE", str(tmp_path / "lock"))
    monkeypatch.setenv(boot.ACTIVE_ENV, "")
    monkeypatch.delenv(boot.ACTIVE_ENV)
    fake = FakeDebugpy()
    boot.start(
        {
            "role": "serving",
            "host": "algo-1",
            "wait": False,
            "ports": [[5678, "127.0.0.1:5700"], [5679, "127.0.0.1:5701"]],
        },
        fake,
        probe=lambda port: port != 5678,
    )
    assert ("listen", ("0.0.0.0", 5679)) in fake.calls
    assert "serving algo-1 debugger listening on 127.0.0.1:5701 (not waiting)" in (
        capsys.readouterr().err
    )


def test_a_model_server_worker_is_served_in_process_behind_the_door(monkeypatch, tmp_path):
    """No adapter process: pydevd gets a socket already listening, behind the run's door;
    the worker's children are not followed (nothing would serve them)."""
    monkeypatch.setattr(boot, "LOCK_FILE", str(tmp_path / "lock"))
    monkeypatch.setenv(boot.ACTIVE_ENV, "")
    monkeypatch.delenv(boot.ACTIVE_ENV)
    pydevd = types.SimpleNamespace(create_server_socket=lambda host, port: None)
    monkeypatch.setitem(sys.modules, "pydevd", pydevd)
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    fake = FakeDebugpy()
    boot.start(
        {
            "role": "serving",
            "wait": False,
            "ports": [[free, "127.0.0.1:5700"]],
            "door": "secret:ab12",
            "stack": {"label": "TorchServe", "processes": "worker", "in_process": True},
        },
        fake,
        probe=lambda port: True,
    )
    assert fake.calls[0] == ("configure", {"subProcess": False})  # no pythonEnv: no adapter
    assert fake.calls[1] == ("listen", ("0.0.0.0", free), {"in_process_debug_adapter": True})
    server = pydevd.create_server_socket("0.0.0.0", free)
    try:
        assert isinstance(server, door.GuardedServer)
        assert server.getsockname()[1] == free
        with pytest.raises(OSError):  # bound and listening before the port is announced
            taken = socket.socket()
            try:
                taken.bind(("0.0.0.0", free))
            finally:
                taken.close()
    finally:
        server.close()


def test_all_ports_taken_is_an_error_not_a_clash(tmp_path, monkeypatch):
    monkeypatch.setattr(boot, "LOCK_FILE", str(tmp_path / "lock"))
    with pytest.raises(RuntimeError, match="all 2 debug ports"):
        boot._listen(FakeDebugpy(), [[1, "a"], [2, "b"]], probe=lambda port: False)


def test_exec_into_another_program_starts_afresh(monkeypatch):
    started = []
    monkeypatch.setattr(boot, "start", lambda config: started.append(config))
    monkeypatch.setattr(boot.sys, "argv", ["/opt/venv/bin/gunicorn"])
    monkeypatch.setenv(boot.CONFIG_ENV, '{"ports": [[5678, "x"]], "match": ["*/gunicorn"]}')
    monkeypatch.setenv(boot.ACTIVE_ENV, "1")  # another process (our parent) debugs
    boot.main()
    assert started == []
    monkeypatch.setenv(boot.ACTIVE_ENV, str(os.getpid()))  # we exec'd: same pid, new program
    boot.main()
    assert len(started) == 1


def test_connect_mode_connects_back_then_waits_for_the_ides_breakpoints(monkeypatch, capsys):
    monkeypatch.setenv(boot.ACTIVE_ENV, "")
    monkeypatch.delenv(boot.ACTIVE_ENV)
    fake = FakeDebugpy()
    fake.connect = lambda address: fake.calls.append(("connect", address))
    config = boot.parse_config(
        json.dumps(
            {
                "role": "training",
                "host": "algo-1",
                "ports": [],
                "wait": True,
                "connect": ["host.docker.internal", 5678],
                "mappings": [["/src", "/opt/ml/code"]],
            }
        )
    )
    patience = []

    def connect(debugpy, address, wait_seconds):
        patience.append(wait_seconds)
        debugpy.connect(tuple(address))

    boot.start(config, fake, connect=connect)
    assert fake.calls == [
        ("configure", {"subProcess": True}),
        ("connect", ("host.docker.internal", 5678)),
        ("wait_for_client",),
    ]
    assert patience == [back.CONNECT_PATIENCE[True]]
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "smdebug-local: training algo-1 connecting to debugger at "
        "host.docker.internal:5678 (/src -> /opt/ml/code)",
        "smdebug-local: training algo-1 debugger attached",
    ]
    assert os.environ[boot.ACTIVE_ENV] == str(os.getpid())


def test_connect_waits_for_the_listener_then_connects_once_or_gives_up_with_the_fix():
    probes, connects = [], []
    now = [0.0]

    def probe(address):
        probes.append(address)
        return len(probes) >= 3

    class Debugpy:
        def connect(self, address):
            connects.append(address)

    def tick(seconds):
        now[0] += seconds

    back.connect(Debugpy(), ["h", 1], 60, sleep=tick, clock=lambda: now[0], probe=probe)
    assert len(probes) == 3 and connects == [("h", 1)]
    connects.clear()
    with pytest.raises(RuntimeError, match=r"no debugger listening on h:1; start your IDE"):
        back.connect(
            Debugpy(), ["h", 1], 2, sleep=tick, clock=lambda: now[0], probe=lambda address: False
        )
    assert connects == []


def test_start_on_import_fires_once_right_before_the_users_module(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "user_handler_xyz.py").write_text("import json\nLOADED = True\n")
    monkeypatch.syspath_prepend(str(code))
    started = []
    finder = boot.StartOnImport(
        [str(code)], lambda: started.append("user_handler_xyz" in sys.modules)
    )
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    import colorsys  # noqa: F401 - the server's own imports: no start

    assert started == []
    import user_handler_xyz  # noqa: F401

    assert started == [False], "started before the module ran"
    assert finder not in sys.meta_path
    monkeypatch.delitem(sys.modules, "user_handler_xyz")


def test_start_on_import_never_breaks_an_import(tmp_path, monkeypatch, capsys):
    def broken():
        raise RuntimeError("boom")

    code = tmp_path / "code"
    code.mkdir()
    (code / "user_handler_abc.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(code))
    finder = boot.StartOnImport([str(code)], broken)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    import user_handler_abc

    assert user_handler_abc.X == 1
    assert "debugger not started (RuntimeError: boom)" in capsys.readouterr().err
    monkeypatch.delitem(sys.modules, "user_handler_abc")


def _time_wait_port() -> int:
    """A port whose last connection this side closed first: it sits in TIME_WAIT."""
    import socket

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the listening side closes first: its end goes to TIME_WAIT
    client.close()
    server.close()
    return port


def test_a_port_in_time_wait_is_free_for_the_next_worker():
    """A worker reloaded right after its predecessor finds that port free (it listens with
    SO_REUSEADDR, like debugpy), not "all debug ports taken"."""
    assert boot._port_is_free(_time_wait_port())


def test_a_port_someone_listens_on_is_not_free():
    import socket

    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", 0))
        listener.listen(1)
        assert not boot._port_is_free(listener.getsockname()[1])


def test_ranks_are_named_from_the_launchers_variables():
    config = {"role": "training", "host": "algo-1"}
    assert ranking.where(config, {}) == "training algo-1"
    assert ranking.where(config, {"RANK": "1", "WORLD_SIZE": "4"}) == "training algo-1 rank 1/4"
    mpi = {"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4"}
    assert ranking.where(config, mpi) == "training algo-1 rank 3/4"
    assert ranking.where(config, {"RANK": "0", "WORLD_SIZE": "1"}) == "training algo-1"
    assert ranking.rank_of({"RANK": "x", "WORLD_SIZE": "2"}) is None


def test_a_pipeline_step_is_named_with_the_stack_in_one_parenthesis():
    """The host says which pipeline step a container is for; lines keep one ``(...)``,
    the shape IDE tasks written earlier already match."""
    config = {"role": "training", "host": "algo-1", "step": "Train"}
    assert ranking.where(config, {}) == "training algo-1 (step Train)"
    torchrun = {"RANK": "1", "WORLD_SIZE": "2"}
    assert ranking.where(dict(config, stack={"label": "PyTorch"}), torchrun) == (
        "training algo-1 rank 1/2 (PyTorch, step Train)"
    )
    serving = {
        "role": "serving",
        "host": "algo-1",
        "step": "Score",
        "worker": 1,
        "stack": {"label": "TorchServe", "processes": "worker"},
    }
    assert ranking.where(serving, {}) == "serving algo-1 worker 1 (TorchServe, step Score)"
    assert ranking.where(dict(serving, step=None), {}) == "serving algo-1 worker 1 (TorchServe)"


def test_ranks_left_out_run_without_a_debugger(monkeypatch, capsys):
    started = []
    monkeypatch.setattr(boot, "start", lambda config: started.append(config))
    monkeypatch.setattr(boot.sys, "argv", ["/opt/ml/code/train.py"])
    monkeypatch.delenv(boot.ACTIVE_ENV, raising=False)
    monkeypatch.setenv(
        boot.CONFIG_ENV,
        json.dumps(
            {
                "role": "training",
                "host": "algo-1",
                "ports": [[5678, "127.0.0.1:5678"]],
                "match": ["/opt/ml/code/*"],
                "ranks": [0],
            }
        ),
    )
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    boot.main()
    assert started == []
    assert "smdebug-local: training algo-1 rank 1/2 runs without a debugger (--ranks 0)" in (
        capsys.readouterr().err
    )
    monkeypatch.setenv("RANK", "0")
    boot.main()
    assert len(started) == 1


def test_mpi_ranks_run_the_script_after_mpi4py(tmp_path):
    """The toolkit starts MPI (and smdistributed) ranks as `python -m mpi4py train.py`."""
    cmd = ["python3", "-m", "mpi4py", "train.py", "--epochs", "1"]
    assert boot.entry_point(["-m"], "/opt/ml/code", lambda: cmd) == "/opt/ml/code/train.py"
    assert boot.entry_point(["-m"], "/x", lambda: ["python3", "-mmpi4py", "/opt/ml/code/t.py"]) == (
        "/opt/ml/code/t.py"
    )
    assert boot.entry_point(["-m"], "/x", lambda: ["python3", "-m", "mpi4py"]) is None


def test_a_package_without_main_is_no_entry_point(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "nomain").mkdir(parents=True)
    (site / "nomain" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    assert boot.entry_point(["-m"], str(tmp_path), lambda: ["python", "-m", "nomain"]) is None


def test_a_rank_takes_the_port_of_its_local_rank_so_its_configuration_names_it():
    torchrun = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}
    assert ranking.port_slot({}, torchrun) == 1
    mpi = {"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "4"}
    assert ranking.port_slot({}, dict(mpi, OMPI_COMM_WORLD_LOCAL_RANK="0")) == 0
    assert ranking.port_slot({}, mpi) is None  # no local rank: the first free port
    assert ranking.port_slot({}, {"LOCAL_RANK": "0"}) is None  # not a rank
    # --ranks 1,3 on a host running ranks 2 and 3: rank 3 is its host's first chosen one.
    assert ranking.port_slot({"ranks": [1, 3]}, torchrun) == 0
    assert ranking.port_slot({"ranks": [2, 3]}, torchrun) == 1


def test_listen_prefers_the_slots_port_and_falls_back_to_the_first_free(tmp_path, monkeypatch):
    monkeypatch.setattr(boot, "LOCK_FILE", str(tmp_path / "lock"))
    ports = [[5678, "a"], [5679, "b"], [5680, "c"]]
    assert boot._listen(FakeDebugpy(), ports, probe=lambda port: True, slot=2) == "c"
    assert boot._listen(FakeDebugpy(), ports, probe=lambda port: port != 5680, slot=2) == "a"
    assert boot._listen(FakeDebugpy(), ports, probe=lambda port: True, slot=7) == "a"
    assert boot._listen(FakeDebugpy(), ports, probe=lambda port: True) == "a"

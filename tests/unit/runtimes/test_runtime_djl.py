"""DJL Serving / LMI: the Python engine, alone or under mpirun."""

from seen import seen

from smdebug_local.roles import ROLES

ENGINE = [
    "/usr/bin/python3",
    "/tmp/.djl.ai/python/0.30.0/djl_python_engine.py",
    "--sock-type",
    "unix",
    "--sock-name",
    "/tmp/djl_sock.19000",
    "--model-dir",
    "/opt/ml/model",
    "--entry-point",
    "model.py",
    "--device-id",
    "-1",
]


def test_an_engine_worker_starts_its_debugger_on_the_first_import_of_model_py():
    s = seen("serving", ENGINE, worker=1)
    assert (s.debugged, s.deferred, s.who) == (True, True, "serving algo-1 worker 1 (DJL)")


def test_an_engine_under_mpirun_says_its_rank():
    env = {"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"}
    assert seen("serving", [*ENGINE, "--tensor-parallel-degree", "2"], environ=env).who == (
        "serving algo-1 rank 1/2 (DJL)"
    )


def test_the_model_folder_is_where_deferred_starts_look():
    defer = ROLES["serving"]
    assert "/opt/ml/model" in defer.defer_roots
    assert ROLES["serving"].env_defaults["OPTION_PREDICT_TIMEOUT"] == "3600"

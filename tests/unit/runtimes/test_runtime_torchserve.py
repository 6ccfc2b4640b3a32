"""TorchServe's workers, on the command line its frontend starts them with."""

from seen import seen

from smdebug_local.roles import ROLES

WORKER = [
    "/opt/conda/bin/python3.11",
    "/opt/conda/lib/python3.11/site-packages/ts/model_service_worker.py",
    "--sock-type",
    "unix",
    "--sock-name",
    "/home/model-server/tmp/.ts.sock.9000",
    "--metrics-config",
    "/opt/conda/lib/python3.11/site-packages/ts/configs/metrics.yaml",
]


def test_a_worker_is_debugged_from_its_first_import_of_user_code_and_named_by_its_port():
    assert seen("serving", WORKER, worker=2).__dict__ == {
        "debugged": True,
        "deferred": True,
        "who": "serving algo-1 worker 2 (TorchServe)",
    }


def test_the_frontend_and_toolkit_processes_are_not():
    assert not seen(
        "serving", ["/opt/conda/bin/python3.11", "/usr/local/bin/dockerd-entrypoint.py", "serve"]
    ).debugged
    assert not seen("serving", ["/opt/conda/bin/python3.11", "-c", "import ts"]).debugged


def test_its_timeouts_are_lifted():
    env = ROLES["serving"].env_defaults
    assert env["TS_DEFAULT_RESPONSE_TIMEOUT"] == env["TS_DEFAULT_STARTUP_TIMEOUT"] == "3600"

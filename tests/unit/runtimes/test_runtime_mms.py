"""Multi Model Server's workers (Hugging Face inference, sagemaker-inference models)."""

from seen import seen

from smdebug_local.roles import ROLES

# As MMS's Java frontend (WorkerLifeCycle) starts a worker in the Hugging Face DLC.
WORKER = [
    "/usr/bin/python3",
    "/usr/local/lib/python3.11/dist-packages/mms/model_service_worker.py",
    "--sock-type",
    "unix",
    "--sock-name",
    "/home/model-server/tmp/.mms.sock.9000",
    "--handler",
    "sagemaker_huggingface_inference_toolkit.handler_service",
    "--model-path",
    "/opt/ml/model",
    "--model-name",
    "model",
    "--preload-model",
    "false",
    "--tmp-dir",
    "/home/model-server/tmp",
]


def test_a_worker_is_debugged_from_its_first_import_of_user_code_and_named_by_its_port():
    s = seen("serving", WORKER, worker=2)
    assert (s.debugged, s.deferred, s.who) == (True, True, "serving algo-1 worker 2 (MMS)")


def test_the_entrypoint_and_the_launcher_are_not():
    for line in (
        ["/usr/bin/python3", "/usr/local/bin/dockerd-entrypoint.py", "serve"],
        ["/usr/bin/python3", "/usr/local/bin/multi-model-server", "--start"],
    ):
        assert not seen("serving", line).debugged


def test_the_model_server_timeout_is_lifted():
    assert ROLES["serving"].env_defaults["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600"


def test_mms_reads_the_timeout_in_minutes_and_gets_at_least_an_hour():
    # MMS ConfigManager.getDefaultResponseTimeoutSeconds: 60 * default_response_timeout
    # (a Java int), the value sagemaker-inference writes from SAGEMAKER_MODEL_SERVER_TIMEOUT.
    minutes = int(ROLES["serving"].env_defaults["SAGEMAKER_MODEL_SERVER_TIMEOUT"])
    assert 3600 <= 60 * minutes < 2**31
    # Setting the seconds variable would override a job's own SAGEMAKER_MODEL_SERVER_TIMEOUT.
    assert "SAGEMAKER_MODEL_SERVER_TIMEOUT_SECONDS" not in ROLES["serving"].env_defaults

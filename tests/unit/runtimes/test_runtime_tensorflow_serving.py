"""TensorFlow Serving's Python service (the user's inference.py) on gunicorn."""

from seen import seen

from smdebug_local import programs
from smdebug_local.roles import ROLES

# As /sagemaker/serve.py starts it when /opt/ml/model/code/inference.py exists.
SERVICE = [
    "/usr/bin/python3",
    "/usr/local/bin/gunicorn",
    "-b",
    "unix:/tmp/gunicorn.sock",
    "-k",
    "gevent",
    "--chdir",
    "/sagemaker",
    "--workers",
    "1",
    "--threads",
    "1",
    "--timeout",
    "3600",
    "--pythonpath",
    "/opt/ml/model/code",
    "python_service:app",
]


def test_the_python_service_is_debugged_and_named():
    s = seen("serving", SERVICE)
    assert (s.debugged, s.who) == (True, "serving algo-1 (TensorFlow Serving)")


def test_the_model_server_launcher_is_not():
    assert not seen("serving", ["/usr/bin/python3", "/sagemaker/serve.py"]).debugged


def test_gunicorns_and_nginxs_timeouts_are_lifted():
    env = ROLES["serving"].env_defaults
    assert env["SAGEMAKER_GUNICORN_TIMEOUT_SECONDS"] == "3600"
    assert env["SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS"] == "3600"


def test_its_sagemaker_folder_is_not_taken_for_a_program_folder():
    config = {"Env": ["PATH=/sagemaker:/usr/local/bin:/usr/bin"], "WorkingDir": "/"}
    assert programs.program_dirs(config, "serve") == ()


def test_the_users_folder_behind_the_model_archives_code_is_mounted_over_it():
    from smdebug_local.roles import plan

    service = {"volumes": ["/tmp/tmpabc/model:/opt/ml/model"]}
    located = []

    def locate(copy_dir):
        located.append(copy_dir)
        return "/home/me/code"

    p = plan(ROLES["serving"], service, wait=None, cpus=1, locate=locate)
    assert located == ["/tmp/tmpabc/model/code"]
    assert p.mappings == (("/home/me/code", "/opt/ml/model/code"),)
    assert p.volumes == ("/home/me/code:/opt/ml/model/code",)

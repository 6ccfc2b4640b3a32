"""Test-only stand-in for the TensorFlow Serving container's ``/sagemaker/serve.py``.

It starts what the real service manager starts, with the same command lines and the same
environment contract: the model server on REST port 8501 (gRPC 9000), nginx on 8080, and,
only when ``/opt/ml/model/code/inference.py`` exists, ``gunicorn -k gevent --chdir /sagemaker
... --pythonpath /opt/ml/model/code python_service:app`` behind nginx. gunicorn's worker
timeout is ``SAGEMAKER_GUNICORN_TIMEOUT_SECONDS`` (30 s), nginx's ``proxy_read_timeout``
``SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS`` (60 s, raised to gunicorn's if lower), the
worker count ``SAGEMAKER_GUNICORN_WORKERS`` (1). Then it waits, as the real one does.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

CODE_DIR = "/opt/ml/model/code"
INFERENCE = os.path.join(CODE_DIR, "inference.py")
MODEL_BASE = "/opt/ml/model"
REST_PORT, GRPC_PORT = "8501", "9000"


def find_models():
    """Model folders: those under /opt/ml/model holding a numbered version with a
    saved_model.pb (as TF Serving's SavedModel layout has)."""
    models = []
    for root, _, files in os.walk(MODEL_BASE):
        if "saved_model.pb" in files and os.path.basename(root).isdigit():
            models.append(os.path.dirname(root))
    return sorted(set(models))


def nginx_config(python_service, model, read_timeout):
    with open("/sagemaker/nginx.conf.template") as f:
        template = f.read()
    if python_service:
        ping = "proxy_pass http://gunicorn_upstream/ping"
        invocations = "proxy_pass http://gunicorn_upstream/invocations"
    else:
        ping = f"proxy_pass http://localhost:{REST_PORT}/v1/models/{model}"
        invocations = f"proxy_pass http://localhost:{REST_PORT}/v1/models/{model}:predict"
    values = {
        "PROXY_READ_TIMEOUT": str(read_timeout),
        "FORWARD_PING_REQUESTS": ping,
        "FORWARD_INVOCATION_REQUESTS": invocations,
    }
    for key, value in values.items():
        template = template.replace("%" + key + "%", value)
    with open("/sagemaker/nginx.conf", "w") as f:
        f.write(template)


def wait_for_model(model, seconds=60):
    deadline = time.monotonic() + seconds
    url = f"http://localhost:{REST_PORT}/v1/models/{model}"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main():
    gunicorn_timeout = int(os.environ.get("SAGEMAKER_GUNICORN_TIMEOUT_SECONDS", 30))
    read_timeout = int(os.environ.get("SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS", 60))
    read_timeout = max(read_timeout, gunicorn_timeout)
    workers = os.environ.get("SAGEMAKER_GUNICORN_WORKERS", "1")
    python_service = os.path.exists(INFERENCE)
    models = find_models()
    if not models:
        raise ValueError("no SavedModel bundles found!")
    model = os.path.basename(models[0])
    print(f"PYTHON SERVICE: {python_service}", flush=True)

    children = []
    children.append(
        subprocess.Popen(
            [
                "tensorflow_model_server",
                "--port=" + GRPC_PORT,
                "--rest_api_port=" + REST_PORT,
                "--model_name=" + model,
                "--model_base_path=" + models[0],
            ]
        )
    )
    wait_for_model(model)
    nginx_config(python_service, model, read_timeout)
    if python_service:
        command = (
            "gunicorn -b unix:/tmp/gunicorn.sock -k gevent --chdir /sagemaker "
            f"--workers {workers} --threads 1 --log-level info --timeout {gunicorn_timeout} "
            f"--pythonpath {CODE_DIR} -e TFS_GRPC_PORTS={GRPC_PORT} -e TFS_REST_PORTS={REST_PORT} "
            "-e SAGEMAKER_MULTI_MODEL=False python_service:app"
        )
        environment = dict(os.environ, TFS_DEFAULT_MODEL_NAME=model)
        children.append(subprocess.Popen(command.split(), env=environment))
        while not os.path.exists("/tmp/gunicorn.sock"):
            time.sleep(0.1)
    children.append(subprocess.Popen(["/usr/sbin/nginx", "-c", "/sagemaker/nginx.conf"]))

    def stop(*_):
        for child in children:
            try:
                child.terminate()
            except OSError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    os.wait()  # the real manager restarts a child that exits; here the container ends
    stop()


if __name__ == "__main__":
    main()

"""Test-only stand-in for the TensorFlow Serving container's Python service
(``/sagemaker/python_service.py``, run by gunicorn as ``python_service:app``).

As the real one: at import -- in each gunicorn worker -- it loads the user's
``/opt/ml/model/code/inference.py`` with ``importlib.util.spec_from_file_location`` and uses
its ``handler(data, context)``, or its ``input_handler`` / ``output_handler`` around a
request to the model server's REST API; a handler that raises answers 500. ``/ping`` asks
the model server for the model's status.
"""

import collections
import importlib.util
import json
import logging
import os

import falcon
import requests

INFERENCE_SCRIPT_PATH = "/opt/ml/model/code/inference.py"
TFS_REST_PORT = os.environ.get("TFS_REST_PORTS", "8501").split(",")[0]
TFS_GRPC_PORT = os.environ.get("TFS_GRPC_PORTS", "9000").split(",")[0]
MODEL_NAME = os.environ.get("TFS_DEFAULT_MODEL_NAME", "model")
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"

log = logging.getLogger(__name__)

Context = collections.namedtuple(
    "Context",
    "model_name model_version method rest_uri grpc_uri custom_attributes "
    "request_content_type accept_header content_length",
)


def default_handler(data, context):
    response = requests.post(context.rest_uri, data=data.read().decode("utf-8"))
    return response.content, context.accept_header


def import_handlers():
    spec = importlib.util.spec_from_file_location("inference", INFERENCE_SCRIPT_PATH)
    inference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inference)
    if hasattr(inference, "handler"):
        return inference.handler
    if hasattr(inference, "input_handler") and hasattr(inference, "output_handler"):

        def handler(data, context):
            processed = inference.input_handler(data, context)
            response = requests.post(context.rest_uri, data=processed)
            return inference.output_handler(response, context)

        return handler
    raise NotImplementedError("inference.py defines neither handler nor input/output_handler")


class Invocations:
    def __init__(self):
        exists = os.path.exists(INFERENCE_SCRIPT_PATH)
        self._handler = import_handlers() if exists else default_handler

    def on_post(self, req, res):
        context = Context(
            MODEL_NAME,
            None,
            "predict",
            f"http://localhost:{TFS_REST_PORT}/v1/models/{MODEL_NAME}:predict",
            f"localhost:{TFS_GRPC_PORT}",
            req.get_header(CUSTOM_ATTRIBUTES_HEADER),
            req.get_header("Content-Type") or "application/json",
            req.get_header("Accept") or "application/json",
            req.content_length,
        )
        try:
            body, content_type = self._handler(req.bounded_stream, context)
        except Exception as exc:
            log.exception("exception handling request")
            res.status = falcon.HTTP_500
            res.text = json.dumps({"error": str(exc)})
            return
        res.status = falcon.HTTP_200
        res.content_type = content_type
        res.data = body if isinstance(body, bytes) else str(body).encode()


class Ping:
    def on_get(self, req, res):
        url = f"http://localhost:{TFS_REST_PORT}/v1/models/{MODEL_NAME}"
        res.status = falcon.HTTP_200 if requests.get(url).ok else falcon.HTTP_500


app = falcon.App()
app.add_route("/invocations", Invocations())
app.add_route("/ping", Ping())

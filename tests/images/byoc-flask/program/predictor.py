"""BYOC inference: adds the trained offset to each number of a CSV request."""

import json
import os

import flask

app = flask.Flask(__name__)
MODEL_PATH = "/opt/ml/model/model.json"


def load_model():
    with open(MODEL_PATH) as f:
        return json.load(f)


@app.route("/ping", methods=["GET"])
def ping():
    return flask.Response(status=200 if os.path.exists(MODEL_PATH) else 404)


@app.route("/invocations", methods=["POST"])
def invocations():
    numbers = [float(v) for v in flask.request.data.decode().split(",") if v.strip()]
    offset = load_model()["offset"]  # byoc serve breakpoint
    result = [n + offset for n in numbers]
    return flask.Response(",".join(str(r) for r in result), mimetype="text/csv")

"""Flask app of the sample layout: adds the trained offset to each number of a CSV request."""

import json
import os

import flask

MODEL_PATH = "/opt/ml/model/model.json"
app = flask.Flask(__name__)


class ScoringService:
    model = None

    @classmethod
    def get_model(cls):
        if cls.model is None:
            with open(MODEL_PATH) as f:
                cls.model = json.load(f)
        return cls.model

    @classmethod
    def predict(cls, numbers):
        offset = cls.get_model()["offset"]
        return [n + offset for n in numbers]


@app.route("/ping", methods=["GET"])
def ping():
    health = os.path.exists(MODEL_PATH)
    return flask.Response(response="\n", status=200 if health else 404, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def transformation():
    numbers = [float(v) for v in flask.request.data.decode().split(",") if v.strip()]
    result = ScoringService.predict(numbers)  # byoc-sample flask breakpoint
    return flask.Response(
        response=",".join(str(r) for r in result), status=200, mimetype="text/csv"
    )

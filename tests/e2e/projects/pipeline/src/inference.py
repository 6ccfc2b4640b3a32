"""Serving handlers for the batch transform step: each record times the model's weight."""

import json
import os


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        return json.load(f)


def transform_fn(model, request_body, content_type, accept):
    records = json.loads(request_body)
    scored = [r * model["weight"] for r in records]  # score breakpoint
    return json.dumps(scored), "application/json"

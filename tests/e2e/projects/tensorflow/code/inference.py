"""The user's inference.py for the TensorFlow Serving container: JSON in, the model
server's predictions out, each rounded to one decimal."""

import json


def input_handler(data, context):
    numbers = json.loads(data.read().decode("utf-8"))
    return json.dumps({"instances": numbers})  # tfs input breakpoint


def output_handler(response, context):
    predictions = response.json()["predictions"]  # tfs output breakpoint
    rounded = [round(p, 1) for p in predictions]
    return json.dumps({"predictions": rounded}), context.accept_header

"""Stand-in for the scikit-learn container's serving module (see the package docstring).

``main`` is the WSGI application gunicorn's workers run (``--pythonpath`` ends with
``/opt/ml/code``). The first request a worker receives -- the SDK's ``/ping`` included --
imports the user's module (``SAGEMAKER_PROGRAM``) and loads the model with its ``model_fn``;
later requests reuse both.
"""

import importlib

from sagemaker_containers.beta.framework import encoders, env, modules, transformer, worker


def default_input_fn(input_data, content_type):
    return encoders.decode(input_data, content_type)


def default_predict_fn(data, model):
    return model.predict(data)


def default_output_fn(prediction, accept):
    return worker.Response(encoders.encode(prediction, accept), accept, mimetype=accept)


def user_transformer(module):
    """The user's functions, with the container's defaults for the ones it leaves out."""
    transform_fn = getattr(module, "transform_fn", None)
    model_fn = getattr(module, "model_fn", transformer.default_model_fn)
    if transform_fn is not None:
        return transformer.Transformer(model_fn=model_fn, transform_fn=transform_fn)
    return transformer.Transformer(
        model_fn=model_fn,
        input_fn=getattr(module, "input_fn", default_input_fn),
        predict_fn=getattr(module, "predict_fn", default_predict_fn),
        output_fn=getattr(module, "output_fn", default_output_fn),
    )


def load_user_module(serving_env):
    try:  # installed by `serve` (pip install . of /opt/ml/code) before gunicorn started
        return importlib.import_module(serving_env.module_name)
    except ImportError:
        return modules.import_module(serving_env.module_dir, serving_env.module_name)


app = None


def main(environ, start_response):
    global app
    if app is None:
        serving_env = env.ServingEnv()
        functions = user_transformer(load_user_module(serving_env))
        functions.initialize()
        app = worker.Worker(transform_fn=functions.transform, module_name=serving_env.module_name)
    return app(environ, start_response)

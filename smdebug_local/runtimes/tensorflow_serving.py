"""TensorFlow Serving with the user's ``inference.py`` (aws/sagemaker-tensorflow-serving-container).

``serve`` runs ``python3 /sagemaker/serve.py``: the C++ ``tensorflow_model_server``, nginx,
and -- only when ``/opt/ml/model/code/inference.py`` exists -- ``gunicorn -k gevent
--chdir /sagemaker --timeout $SAGEMAKER_GUNICORN_TIMEOUT_SECONDS --pythonpath
/opt/ml/model/code python_service:app``, which loads the handlers with
``spec_from_file_location``. ``TensorFlowModel(entry_point=...)`` repacks the code into
``model.tar.gz`` (``code/``) and sets no ``SAGEMAKER_SUBMIT_DIRECTORY``: the user's folder is
found by content (:mod:`smdebug_local.sources`). ``/sagemaker`` is on the image's ``PATH``
but is the container's own, not a bring-your-own program folder.
"""

from __future__ import annotations

from .runtime import PAUSE_TOLERANT_TIMEOUT, Runtime

RUNTIMES = (
    Runtime(
        name="tensorflow-serving",
        label="TensorFlow Serving",
        role="serving",
        match=("*/bin/gunicorn", "*/gunicorn/__main__.py"),
        args=("python_service:app",),
        code_dirs=("/opt/ml/model/code",),
        own_dirs=("/sagemaker",),
        debugs="the Python service running your inference.py (gunicorn)",
        env_defaults={
            # gunicorn's worker timeout (30 s) and nginx's proxy_read_timeout (60 s).
            "SAGEMAKER_GUNICORN_TIMEOUT_SECONDS": PAUSE_TOLERANT_TIMEOUT,
            "SAGEMAKER_NGINX_PROXY_READ_TIMEOUT_SECONDS": PAUSE_TOLERANT_TIMEOUT,
        },
    ),
)

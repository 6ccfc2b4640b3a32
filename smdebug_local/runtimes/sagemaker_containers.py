"""scikit-learn and XGBoost containers on ``sagemaker-containers`` 2.x.

Training (aws/sagemaker-scikit-learn-container, aws/sagemaker-xgboost-container): ``train``
runs the framework's ``training:main``, which runs the user's script as ``python
<script>.py`` (scikit-learn) or, after ``pip install .`` of the code, ``python -m
<module>`` (XGBoost script mode), cwd ``/opt/ml/code``. Serving: ``serve`` runs
``sagemaker_containers._server.start``: ``pip install .`` of the code, nginx, then
``gunicorn -k gevent ... --pythonpath /opt/ml/code,... -w N <framework>.serving:main``; the
user's module is imported in each gunicorn worker on its first request, from
``/opt/ml/code`` (gunicorn inserts the one ``--pythonpath`` entry not yet on ``sys.path``
first, ahead of the copy ``pip install .`` put in site-packages). nginx's
``proxy_read_timeout`` and gunicorn's ``--timeout`` both come from
``SAGEMAKER_MODEL_SERVER_TIMEOUT`` (the serving role lifts it).
"""

from __future__ import annotations

from .runtime import Runtime
from .training_toolkit import MATCH

FRAMEWORKS = (
    ("scikit-learn", "sagemaker_sklearn_container"),
    ("XGBoost", "sagemaker_xgboost_container"),
)

RUNTIMES = tuple(
    runtime
    for label, package in FRAMEWORKS
    for runtime in (
        Runtime(
            name=f"{package.split('_')[1]}-training",
            label=label,
            role="training",
            match=MATCH,
            env={"SAGEMAKER_TRAINING_MODULE": f"{package}.*"},
            debugs="the entry point (a script, or python -m of the installed code)",
        ),
        Runtime(
            name=f"{package.split('_')[1]}-serving",
            label=label,
            role="serving",
            match=("*/bin/gunicorn", "*/gunicorn/__main__.py"),
            args=(f"{package}.serving:main",),
            env={"SAGEMAKER_SERVING_MODULE": f"{package}.*"},
            # gunicorn's --pythonpath puts SAGEMAKER_SUBMIT_DIRECTORY first: the workers
            # import the user's module from there, not from the model's code/ copy.
            code_dirs=("/opt/ml/code",),
            debugs="gunicorn and its gevent workers (your module loads on the first request)",
        ),
    )
)

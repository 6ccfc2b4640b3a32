"""TorchServe (aws/sagemaker-pytorch-inference-toolkit).

``serve`` starts TorchServe's Java frontend, which spawns one ``python .../ts/
model_service_worker.py`` per worker (``SAGEMAKER_MODEL_SERVER_WORKERS``); each imports
torch and the server, then the user's module from ``/opt/ml/model/code``.
``enable_envvars_config=true`` in the toolkit's config lets the ``TS_*`` variables below
set the frontend's timeouts.
"""

from __future__ import annotations

from .runtime import PAUSE_TOLERANT_TIMEOUT, WORKER, Runtime

RUNTIMES = (
    Runtime(
        name="torchserve",
        label="TorchServe",
        role="serving",
        match=("*/ts/model_service_worker.py",),
        defer=True,
        processes=WORKER,
        in_process=True,
        debugs="each worker, from its first import of your handler module",
        code_dirs=("/opt/ml/model/code",),
        env_defaults={
            # sagemaker-inference's response timeout (the toolkit writes it to config).
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
            # How long a worker may take to load the model (model_fn) and to answer.
            "TS_DEFAULT_STARTUP_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
            "TS_DEFAULT_RESPONSE_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
        },
    ),
)

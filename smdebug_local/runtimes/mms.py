"""Multi Model Server: Hugging Face inference and every ``sagemaker-inference`` model.

``serve`` runs ``sagemaker_inference.model_server.start_model_server`` (the Hugging Face
DLC through its ``dockerd-entrypoint.py`` and ``sagemaker_huggingface_inference_toolkit``),
which starts ``multi-model-server --start``: a Java frontend that spawns one ``python
.../mms/model_service_worker.py`` (MMS 1.1.11: one for all workers). It forks a process per
frontend connection -- one per worker -- (``multiprocessing``) that imports the user's
``inference`` module from ``/opt/ml/model/code``; each child starts its own debugger.

sagemaker-inference passes ``SAGEMAKER_MODEL_SERVER_TIMEOUT`` on as MMS's
``default_response_timeout``, which MMS reads in *minutes* (``ConfigManager.
getDefaultResponseTimeoutSeconds``: 60 x the value, unless
``default_response_timeout_seconds`` is set): the serving role's 3600, which TorchServe
reads in seconds, gives MMS 60 hours. The variable is one for every serving stack, so it
stays at the value that lifts both.
"""

from __future__ import annotations

from .runtime import PAUSE_TOLERANT_TIMEOUT, WORKER, Runtime

RUNTIMES = (
    Runtime(
        name="mms",
        label="MMS",
        role="serving",
        match=("*/mms/model_service_worker.py",),
        defer=True,
        processes=WORKER,
        in_process=True,
        debugs="each worker, from its first import of your inference module",
        code_dirs=("/opt/ml/model/code",),
        env_defaults={"SAGEMAKER_MODEL_SERVER_TIMEOUT": PAUSE_TOLERANT_TIMEOUT},
    ),
)

"""DJL Serving / LMI (deepjavalibrary/djl-serving).

djl-serving's Java frontend starts one ``python3 <cache>/djl_python_engine.py --model-dir
/opt/ml/model --entry-point model.py ...`` per worker, or those under ``mpirun`` for
tensor-parallel models (``Connection.getPythonStartCmd``); the engine imports the user's
entry point from the model folder. ``OPTION_*`` variables set the model's
``serving.properties`` options, among them its loading and prediction timeouts.
Recognised and unit-tested on these command lines; not run end to end (DJL is not
installable here).
"""

from __future__ import annotations

from .runtime import PAUSE_TOLERANT_TIMEOUT, WORKER, Runtime

RUNTIMES = (
    Runtime(
        name="djl",
        label="DJL",
        role="serving",
        match=("*/djl_python_engine.py",),
        defer=True,
        processes=WORKER,
        debugs="each Python engine, from its first import of your model.py",
        code_dirs=("/opt/ml/model",),
        env_defaults={
            "OPTION_PREDICT_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
            "OPTION_MODEL_LOADING_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
        },
    ),
)

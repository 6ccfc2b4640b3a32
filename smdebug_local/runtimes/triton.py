"""Triton Inference Server's Python backend (triton-inference-server/python_backend).

``tritonserver`` starts one ``triton_python_backend_stub`` per model instance: a C++
program embedding Python (``sys.argv == ['']``), which imports the model repository's
``<model>/<version>/model.py`` (``pb_stub.cc``). The payload recognises it by its
executable and starts the debugger when ``model.py`` is imported. Recognised and
unit-tested; not run end to end (Triton is not installable here).
"""

from __future__ import annotations

from .runtime import WORKER, Runtime

RUNTIMES = (
    Runtime(
        name="triton",
        label="Triton",
        role="serving",
        match=("*/triton_python_backend_stub",),
        embedded=True,
        defer=True,
        processes=WORKER,
        debugs="each Python backend stub, from its import of model.py",
        code_dirs=("/opt/ml/model",),
    ),
)

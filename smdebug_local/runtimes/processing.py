"""Processing jobs: ScriptProcessor, and FrameworkProcessor with ``source_dir``.

The SDK uploads the code to S3 as the input ``code``; local mode downloads it to a temporary
folder mounted at ``/opt/ml/processing/input/code``. A ScriptProcessor runs ``python3
/opt/ml/processing/input/code/<script>.py``; a FrameworkProcessor (SKLearnProcessor,
PyTorchProcessor, ...) uploads ``sourcedir.tar.gz`` and a ``runproc.sh`` that does ``cd
/opt/ml/processing/input/code && tar -xzf sourcedir.tar.gz && python <script>``
(``sagemaker.processing.FrameworkProcessor._generate_framework_script``). Either way the
mounted folder is a copy: :mod:`smdebug_local.sources` finds the user's own.
"""

from __future__ import annotations

from .runtime import Runtime

RUNTIMES = (
    Runtime(
        name="processing",
        label="",
        role="processing",
        match=("/opt/ml/processing/input/code/*",),
        debugs="the processing script",
    ),
)

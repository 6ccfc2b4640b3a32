"""TensorFlow training (aws/sagemaker-tensorflow-training, ``sagemaker_tensorflow_container``).

The toolkit runs the user's script as the training toolkit does (cwd ``/opt/ml/code``).
With ``distribution={"parameter_server": {"enabled": True}}`` it first starts a
``tf.distribute.Server`` in a ``multiprocessing.Process`` of its own on every host (the
parameter server: no user code, so not debugged), then the script with ``TF_CONFIG`` naming
the process's task (``chief``, ``worker``, ``ps``); ``multi_worker_mirrored_strategy`` runs
one script per host, again with ``TF_CONFIG``. Processes are named by that task.
"""

from __future__ import annotations

from .runtime import TF_CONFIG, Runtime
from .training_toolkit import MATCH

RUNTIMES = (
    Runtime(
        name="tensorflow-training",
        label="TensorFlow",
        role="training",
        match=MATCH,
        env={"SAGEMAKER_TRAINING_MODULE": "sagemaker_tensorflow_container.*"},
        processes=TF_CONFIG,
        debugs="the entry point of each host (chief, worker N by TF_CONFIG)",
    ),
)

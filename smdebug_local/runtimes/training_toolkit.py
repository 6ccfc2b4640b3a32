"""The SageMaker training toolkit (``sagemaker-training``) and SDK 3.x ModelTrainer.

Local mode starts ``train``; the toolkit's console script runs the entry point as
``python -- <entry>.py`` (or ``python -m <module>``) with cwd ``/opt/ml/code``
(``sagemaker_training.process``), once per process of a host for torchrun/MPI jobs
(``mpirun ... python -m mpi4py <entry>.py``). SDK 3.x ModelTrainer mounts the code as the
input channel ``code`` and its driver runs ``python <entry>.py`` from there. A framework
DLC names itself in ``SAGEMAKER_TRAINING_MODULE`` (the PyTorch one:
``sagemaker_pytorch_container.training:main``, aws/sagemaker-pytorch-training-toolkit).
"""

from __future__ import annotations

from .runtime import RANK, Runtime

MATCH = ("/opt/ml/code/*", "/opt/ml/input/data/code/*")

RUNTIMES = (
    Runtime(
        name="pytorch-training",
        label="PyTorch",
        role="training",
        match=MATCH,
        env={"SAGEMAKER_TRAINING_MODULE": "sagemaker_pytorch_container.*"},
        processes=RANK,
        debugs="the entry point (every rank of a torchrun/MPI job)",
    ),
    # Any other image that runs the toolkit, or ModelTrainer's driver: not named.
    Runtime(
        name="training-toolkit",
        label="",
        role="training",
        match=MATCH,
        processes=RANK,
        debugs="the entry point",
    ),
)

"""A PyTorch estimator with torchrun (``torch_distributed``) or MPI (the toolkit's mpirun)
on CPU: gloo, N ranks per host.

Environment: TEST_IMAGE (the PyTorch training image; for MPI one with Open MPI, sshd and
mpi4py), TEST_HOSTS (instance count, default 1), TEST_RANKS_PER_HOST (default 2),
TEST_DISTRIBUTION (torchrun, the default, or mpi), TEST_HANG (set: rank 1 stays out of the
all-reduce until a file "go" appears in the data folder, then crashes).
"""

import os
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.pytorch import PyTorch

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("1 2 3\n")
(HERE / "output").mkdir(exist_ok=True)

PER_HOST = int(os.environ.get("TEST_RANKS_PER_HOST", "2"))
DISTRIBUTION = {
    "torchrun": {"torch_distributed": {"enabled": True}},
    "mpi": {"mpi": {"enabled": True, "processes_per_host": PER_HOST}},
}[os.environ.get("TEST_DISTRIBUTION", "torchrun")]

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
estimator = PyTorch(
    entry_point="train.py",
    source_dir=str(HERE / "src"),
    image_uri=os.environ["TEST_IMAGE"],
    framework_version="2.3",
    py_version="py311",
    role="arn:aws:iam::111111111111:role/local-mode-dummy",
    instance_count=int(os.environ.get("TEST_HOSTS", "1")),
    instance_type="local",
    sagemaker_session=session,
    output_path=f"file://{HERE / 'output'}",
    distribution=DISTRIBUTION,
    # On CPU the toolkit starts as many ranks per host as this says (else one per GPU).
    hyperparameters={
        "sagemaker_mpi_num_of_processes_per_host": PER_HOST,
        **({"hang": 1} if os.environ.get("TEST_HANG") else {}),
    },
)
estimator.fit({"training": f"file://{HERE / 'data'}"})
print("model artifact:", estimator.model_data, flush=True)

"""A PyTorch estimator whose training script crashes in epoch 2 (see src/train.py).

Environment: TEST_IMAGE (the PyTorch training image), TEST_CRASH ("main": the training
loop raises; "worker": a DataLoader worker does).
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
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
    output_path=f"file://{HERE / 'output'}",
    hyperparameters={"crash": os.environ["TEST_CRASH"]},
)
estimator.fit({"training": f"file://{HERE / 'data'}"})
print("model artifact:", estimator.model_data, flush=True)

"""Benchmark driver: one local-mode training job; prints the wall clock just before fit()."""

import os
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.pytorch import PyTorch

HERE = Path(__file__).resolve().parent
session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
(HERE / "output").mkdir(exist_ok=True)
estimator = PyTorch(
    entry_point="train.py",
    source_dir=str(HERE / "src"),
    image_uri=os.environ["BENCH_IMAGE"],
    framework_version="2.3",
    py_version="py311",
    role="arn:aws:iam::111111111111:role/local-mode-dummy",
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
    output_path=f"file://{HERE / 'output'}",
    hyperparameters={"steps": int(os.environ.get("BENCH_STEPS", "300"))},
)
print(f"BENCH fit_called={time.time():.6f}", flush=True)
estimator.fit()

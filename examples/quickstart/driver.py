"""Train a small CNN in SageMaker local mode -- an ordinary, unmodified local-mode script.

Run it under the debugger with `smdebug-local run driver.py` (see the README), or without
with `python driver.py`. It needs no AWS account: data, code and output stay on this machine.

Environment:
  SMDEBUG_LOCAL_EXAMPLE_IMAGE  training image (default: the project's PyTorch test image tag
                               printed by `python tests/images/build.py pytorch-training`)
  EXAMPLE_EPOCHS, EXAMPLE_WORKERS  hyperparameters (defaults 2 and 2)
"""

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.pytorch import PyTorch

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUTPUT = HERE / "output"
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"  # local mode never uses it


def make_data() -> None:
    """A tiny synthetic data set: 256 8x8 images whose label is their brightest quadrant."""
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    x = rng.random((256, 1, 8, 8), dtype=np.float32)
    quadrants = x.reshape(256, 1, 2, 4, 2, 4).mean(axis=(1, 3, 5)).reshape(256, 4)
    np.save(DATA / "x.npy", x)
    np.save(DATA / "y.npy", quadrants.argmax(axis=1))


def train() -> PyTorch:
    """Run the training job; returns the fitted estimator."""
    image = os.environ.get("SMDEBUG_LOCAL_EXAMPLE_IMAGE")
    if not image:
        sys.exit(
            "set SMDEBUG_LOCAL_EXAMPLE_IMAGE to a PyTorch training image "
            "(e.g. from `python tests/images/build.py pytorch-training`)"
        )
    make_data()
    OUTPUT.mkdir(exist_ok=True)
    # Opting out of telemetry keeps an offline run free of connection errors.
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
        image_uri=image,
        framework_version="2.3",
        py_version="py311",
        role=ROLE,
        instance_count=1,
        instance_type="local",
        sagemaker_session=session,
        output_path=f"file://{OUTPUT}",
        hyperparameters={
            "epochs": int(os.environ.get("EXAMPLE_EPOCHS", "2")),
            "workers": int(os.environ.get("EXAMPLE_WORKERS", "2")),
        },
    )
    estimator.fit({"training": f"file://{DATA}"})
    print("model artifact:", estimator.model_data)
    return estimator


def main() -> None:
    train()


if __name__ == "__main__":
    main()

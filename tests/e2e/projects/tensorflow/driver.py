"""Local-mode jobs on the TensorFlow containers, as their users write them.

``driver.py train [single|parameter_server|multi_worker_mirrored_strategy]``: a
``TensorFlow`` estimator in script mode (src/train.py) with ``local_code``; one host, or two
with the toolkit's distribution; prints the model artifact.
``driver.py deploy``: a ``TensorFlowModel`` with ``entry_point="inference.py"`` (code/),
which the SDK repacks into the model archive; deploy, then -- once TEST_GO_FILE exists, if
set -- one prediction, printed; the endpoint is deleted at the end.

Environment: TEST_IMAGE (the tensorflow test image), TEST_GO_FILE; AWS_ENDPOINT_URL for
``deploy`` in tests.
"""

import os
import sys
import tarfile
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.tensorflow import TensorFlow, TensorFlowModel

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"
IMAGE = os.environ["TEST_IMAGE"]

# TensorFlowModel repacks inference.py into a model archive in S3 (even in local mode):
# the tests point boto3 at a local S3 (moto, AWS_ENDPOINT_URL); users have real S3.
session = LocalSession(
    default_bucket="smdebug-local-test",
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    },
)
session.config = {"local": {"local_code": True}}


def train(distribution: str) -> None:
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    (data / "unused.txt").write_text("the script makes its own data\n")
    output = HERE / "output" / distribution
    output.mkdir(parents=True, exist_ok=True)
    estimator = TensorFlow(
        entry_point="train.py",
        source_dir=str(HERE / "src"),
        image_uri=IMAGE,
        framework_version="2.16",
        py_version="py310",
        role=ROLE,
        instance_count=1 if distribution == "single" else 2,
        instance_type="local",
        sagemaker_session=session,
        output_path=f"file://{output}",
        hyperparameters={"epochs": 300},
        **({} if distribution == "single" else {"distribution": {distribution: {"enabled": True}}}),
    )
    estimator.fit({"train": f"file://{data}"})
    print(f"model artifact: {estimator.model_data}", flush=True)


def deploy() -> None:
    # A SavedModel's layout (version folder 1/), with the model-server stand-in's weights.
    work = HERE / "model"
    (work / "1").mkdir(parents=True, exist_ok=True)
    (work / "1" / "saved_model.pb").write_bytes(b"")
    (work / "1" / "standin.json").write_text('{"scale": 2.5}')
    with tarfile.open(work / "model.tar.gz", "w:gz") as tar:
        tar.add(work / "1", arcname="1")
    model = TensorFlowModel(
        model_data=f"file://{work / 'model.tar.gz'}",
        image_uri=IMAGE,
        framework_version="2.16",
        entry_point="inference.py",
        source_dir=str(HERE / "code"),
        role=ROLE,
        sagemaker_session=session,
    )
    started = time.monotonic()
    predictor = model.deploy(initial_instance_count=1, instance_type="local", wait=False)
    print(f"endpoint ready after {time.monotonic() - started:.2f}s", flush=True)
    try:
        go = os.environ.get("TEST_GO_FILE")
        while go and not Path(go).exists():
            time.sleep(0.2)
        started = time.monotonic()
        prediction = predictor.predict([1.0, 2.0, 3.0])
        print(f"prediction: {prediction} after {time.monotonic() - started:.1f}s", flush=True)
    finally:
        predictor.delete_model()
        predictor.delete_endpoint()


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2] if len(sys.argv) > 2 else "single")
    else:
        deploy()

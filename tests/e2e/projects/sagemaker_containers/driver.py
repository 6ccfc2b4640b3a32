"""Local-mode jobs on the scikit-learn / XGBoost containers' stack (sagemaker-containers),
as their users write them: an ``SKLearn`` and an ``XGBoost`` estimator in script mode, and an
``SKLearnModel`` with ``entry_point`` + ``source_dir``, all with ``local_code``.

``driver.py train``: SKLearn fit (sklearn_src/train.py), then XGBoost fit (xgboost_src/
train.py, run by the container as ``python -m train``); prints each job's model artifact.
``driver.py deploy``: SKLearnModel of a prepared model.json, deploy, then -- once
TEST_GO_FILE exists, if set -- one prediction, printed; the endpoint is deleted at the end.

Environment: TEST_IMAGE (the sklearn-containers image), TEST_GO_FILE.
"""

import json
import os
import sys
import tarfile
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

import numpy as np
from sagemaker.local import LocalSession
from sagemaker.sklearn import SKLearn, SKLearnModel
from sagemaker.xgboost import XGBoost

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"
IMAGE = os.environ["TEST_IMAGE"]

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
common = {
    "image_uri": IMAGE,
    "role": ROLE,
    "sagemaker_session": session,
}


def train() -> None:
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    (data / "points.csv").write_text("".join(f"{x},{2 * x + 1}\n" for x in range(8)))
    # Local mode writes model.tar.gz straight into a file:// output path: one folder per job.
    outputs = {name: HERE / "output" / name for name in ("sklearn", "xgboost")}
    for folder in outputs.values():
        folder.mkdir(parents=True, exist_ok=True)
    job = {"instance_count": 1, "instance_type": "local", **common}
    jobs = {
        "sklearn": SKLearn(
            entry_point="train.py",
            source_dir=str(HERE / "sklearn_src"),
            framework_version="1.2-1",
            py_version="py3",
            hyperparameters={"fit-intercept": 1},
            output_path=f"file://{outputs['sklearn']}",
            **job,
        ),
        # The XGBoost container's image names its toolkit module itself; this one test image
        # carries both frameworks and defaults to scikit-learn's.
        "xgboost": XGBoost(
            entry_point="train.py",
            source_dir=str(HERE / "xgboost_src"),
            framework_version="1.7-1",
            hyperparameters={"num_round": 3},
            environment={"SAGEMAKER_TRAINING_MODULE": "sagemaker_xgboost_container.training:main"},
            output_path=f"file://{outputs['xgboost']}",
            **job,
        ),
    }
    for name, estimator in jobs.items():
        estimator.fit({"train": f"file://{data}"})
        print(f"{name} model artifact: {estimator.model_data}", flush=True)


def deploy() -> None:
    work = HERE / "model"
    work.mkdir(exist_ok=True)
    (work / "model.json").write_text(json.dumps({"coef": [2.0], "intercept": 1.0}))
    with tarfile.open(work / "model.tar.gz", "w:gz") as tar:
        tar.add(work / "model.json", arcname="model.json")
    model = SKLearnModel(
        model_data=f"file://{work / 'model.tar.gz'}",
        entry_point="inference.py",
        source_dir=str(HERE / "sklearn_src"),
        framework_version="1.2-1",
        # deploy() asks S3 for a default bucket unless told where code would go.
        code_location="s3://local-mode-unused/code",
        env={"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
        **common,
    )
    started = time.monotonic()
    # Local mode's create_endpoint returns once /ping answers; wait=True would add the SDK's
    # describe_endpoint poll.
    predictor = model.deploy(initial_instance_count=1, instance_type="local", wait=False)
    print(f"endpoint ready after {time.monotonic() - started:.2f}s", flush=True)
    try:
        go = os.environ.get("TEST_GO_FILE")
        while go and not Path(go).exists():
            time.sleep(0.2)
        started = time.monotonic()
        prediction = predictor.predict(np.array([[1.0], [2.0], [3.0]]))
        sys.stdout.flush()
        print(
            f"prediction: {np.asarray(prediction).tolist()} after {time.monotonic() - started:.1f}s",
            flush=True,
        )
    finally:
        predictor.delete_model()
        predictor.delete_endpoint()


if __name__ == "__main__":
    {"train": train, "deploy": deploy}[sys.argv[1]]()

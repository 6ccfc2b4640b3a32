"""Local-mode processing with ``source_dir``, SDK 2.x: a ``FrameworkProcessor`` for
scikit-learn, then a ``PyTorchProcessor``, each running framework/preprocess.py, which
imports a helper module of its folder.

The SDK uploads the folder as ``sourcedir.tar.gz`` and a ``runproc.sh`` that unpacks it in
the container's code folder and runs the script, through S3 (a local moto server in tests).
Environment: SKLEARN_IMAGE, PYTORCH_IMAGE; AWS_ENDPOINT_URL in tests.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.processing import FrameworkProcessor, ProcessingInput, ProcessingOutput
from sagemaker.pytorch import PyTorchProcessor
from sagemaker.sklearn import SKLearn

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(5)) + "\n")
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"

session = LocalSession(
    default_bucket="smdebug-local-test",
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    },
)
common = {"role": ROLE, "instance_count": 1, "instance_type": "local", "sagemaker_session": session}
processors = {
    "sklearn": FrameworkProcessor(
        estimator_cls=SKLearn,
        framework_version="1.2-1",
        image_uri=os.environ["SKLEARN_IMAGE"],
        command=["python3"],
        **common,
    ),
    "pytorch": PyTorchProcessor(
        framework_version="2.3",
        py_version="py311",
        image_uri=os.environ["PYTORCH_IMAGE"],
        **common,
    ),
}
for name, processor in processors.items():
    processor.run(
        code="preprocess.py",
        source_dir=str(HERE / "framework"),
        inputs=[
            ProcessingInput(source=str(HERE / "data"), destination="/opt/ml/processing/input/data")
        ],
        outputs=[ProcessingOutput(output_name="result", source="/opt/ml/processing/output")],
    )
    output = processor.latest_job.describe()["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    bucket, _, prefix = output["S3Uri"][len("s3://") :].partition("/")
    print(f"{name} result:", json.loads(session.read_s3_file(bucket, prefix + "/result.json")))

"""A local-mode processing job (ScriptProcessor), SDK 2.x.

Local processing uploads the code and every input to S3 (even with a LocalSession), so the
test points the SDK at a local S3 (moto) through AWS_ENDPOINT_URL; a user has real S3.
Environment: TEST_IMAGE (an image with python3); AWS_ENDPOINT_URL (boto3 honours it) in tests.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(5)) + "\n")

session = LocalSession(
    default_bucket="smdebug-local-test",
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    },
)
processor = ScriptProcessor(
    image_uri=os.environ["TEST_IMAGE"],
    command=["python3"],
    role="arn:aws:iam::111111111111:role/local-mode-dummy",
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
)
processor.run(
    code=str(HERE / "processing" / "preprocess.py"),
    inputs=[
        ProcessingInput(source=str(HERE / "data"), destination="/opt/ml/processing/input/data")
    ],
    outputs=[ProcessingOutput(output_name="result", source="/opt/ml/processing/output")],
)
output = processor.latest_job.describe()["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
bucket, _, prefix = output["S3Uri"][len("s3://") :].partition("/")
print("result:", json.loads(session.read_s3_file(bucket, prefix + "/result.json")))

"""The same processing job with SageMaker SDK 3.x (sagemaker.core.processing).

Environment: TEST_IMAGE (an image with python3); AWS_ENDPOINT_URL (boto3 honours it) in tests.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.core.local import LocalSession
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import (
    ProcessingInput,
    ProcessingOutput,
    ProcessingS3Input,
    ProcessingS3Output,
)

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(5)) + "\n")

session = LocalSession(default_bucket="smdebug-local-test")
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
        ProcessingInput(
            input_name="data",
            s3_input=ProcessingS3Input(
                s3_uri=str(HERE / "data"),
                local_path="/opt/ml/processing/input/data",
                s3_data_type="S3Prefix",
                s3_input_mode="File",
            ),
        )
    ],
    outputs=[
        ProcessingOutput(
            output_name="result",
            s3_output=ProcessingS3Output(
                s3_uri="s3://smdebug-local-test/v3-output",
                local_path="/opt/ml/processing/output",
                s3_upload_mode="EndOfJob",
            ),
        )
    ],
)
print("result:", json.loads(session.read_s3_file("smdebug-local-test", "v3-output/result.json")))

"""A bring-your-own-container model, deployed or run as a batch transform (no training).

Usage: driver.py deploy|transform. Environment: TEST_IMAGE (the BYOC serving image).
"""

import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.local import LocalSession
from sagemaker.model import Model

HERE = Path(__file__).resolve().parent
work = HERE / "work"
(work / "input").mkdir(parents=True, exist_ok=True)
(work / "model.json").write_text(json.dumps({"offset": 45}))
with tarfile.open(work / "model.tar.gz", "w:gz") as tar:
    tar.add(work / "model.json", arcname="model.json")
(work / "input" / "numbers.csv").write_text("1,2\n")

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
model = Model(
    image_uri=os.environ["TEST_IMAGE"],
    model_data=f"file://{work / 'model.tar.gz'}",
    role="arn:aws:iam::111111111111:role/local-mode-dummy",
    sagemaker_session=session,
)
if sys.argv[1] == "deploy":
    model.deploy(initial_instance_count=1, instance_type="local")  # no predictor class
    try:
        request = urllib.request.Request(
            "http://127.0.0.1:8080/invocations",
            data=b"1,2",
            method="POST",
            headers={"Content-Type": "text/csv"},
        )
        # The test's own request must not go through the proxy either.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=60) as response:
            print("prediction:", response.read().decode(), flush=True)
    finally:
        session.delete_endpoint(model.endpoint_name)
        model.delete_model()
else:
    transformer = model.transformer(
        instance_count=1, instance_type="local", output_path=f"file://{work / 'output'}"
    )
    # Local mode has no CloudWatch logs to follow: wait without them.
    transformer.transform(
        f"file://{work / 'input'}", content_type="text/csv", wait=True, logs=False
    )
    print("transform output:", (work / "output" / "numbers.csv.out").read_text(), flush=True)

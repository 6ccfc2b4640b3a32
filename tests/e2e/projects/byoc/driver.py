"""Bring-your-own-container workflow: generic Estimator, fit, deploy, hold, delete.

Environment: TEST_IMAGE (the BYOC image), TEST_HOLD_FILE (keep the endpoint up until it exists).
"""

import os
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.estimator import Estimator
from sagemaker.local import LocalSession

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(10)) + "\n")
(HERE / "output").mkdir(exist_ok=True)

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
estimator = Estimator(
    image_uri=os.environ["TEST_IMAGE"],
    role="arn:aws:iam::111111111111:role/local-mode-dummy",
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
    output_path=f"file://{HERE / 'output'}",
)
estimator.fit({"training": f"file://{HERE / 'data'}"})
predictor = estimator.deploy(initial_instance_count=1, instance_type="local")
print("endpoint ready", flush=True)
try:
    hold = os.environ.get("TEST_HOLD_FILE")
    while hold and not Path(hold).exists():
        time.sleep(0.2)
finally:
    predictor.delete_model()
    predictor.delete_endpoint()

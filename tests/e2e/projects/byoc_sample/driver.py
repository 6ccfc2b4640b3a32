"""AWS's bring-your-own sample, driven as its notebook does: Estimator fit, deploy, hold,
delete. ``driver.py deploy`` skips training (a prepared model).

Environment: TEST_IMAGE (the byoc-sample image), TEST_HOLD_FILE (keep the endpoint up until
it exists), SERVER / MODEL_SERVER_WORKERS / PROXY_READ_TIMEOUT (passed to the endpoint).
The user's copy of the image's program folder is ./container/decision_trees, as in the sample.
"""

import json
import os
import sys
import tarfile
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.estimator import Estimator
from sagemaker.local import LocalSession
from sagemaker.model import Model

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"
ENDPOINT_ENV = {
    k: os.environ[k]
    for k in ("SERVER", "MODEL_SERVER_WORKERS", "PROXY_READ_TIMEOUT")
    if k in os.environ
}

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}
if sys.argv[1:] == ["deploy"]:
    work = HERE / "work"
    work.mkdir(exist_ok=True)
    (work / "model.json").write_text(json.dumps({"offset": 35.0}))
    with tarfile.open(work / "model.tar.gz", "w:gz") as tar:
        tar.add(work / "model.json", arcname="model.json")
    model = Model(
        image_uri=os.environ["TEST_IMAGE"],
        model_data=f"file://{work / 'model.tar.gz'}",
        role=ROLE,
        env=ENDPOINT_ENV,
        sagemaker_session=session,
    )
else:
    (HERE / "data").mkdir(exist_ok=True)
    (HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(10)) + "\n")
    (HERE / "output").mkdir(exist_ok=True)
    estimator = Estimator(
        image_uri=os.environ["TEST_IMAGE"],
        role=ROLE,
        instance_count=1,
        instance_type="local",
        sagemaker_session=session,
        output_path=f"file://{HERE / 'output'}",
    )
    estimator.fit({"training": f"file://{HERE / 'data'}"})
    model = estimator.create_model(env=ENDPOINT_ENV)
started = time.monotonic()
# Local mode's create_endpoint returns once /ping answers; wait=True would add the SDK's
# describe_endpoint poll (30 s here, for a Model without a predictor class).
model.deploy(initial_instance_count=1, instance_type="local", wait=False)
print(f"endpoint ready after {time.monotonic() - started:.2f}s", flush=True)
try:
    hold = os.environ.get("TEST_HOLD_FILE")
    while hold and not Path(hold).exists():
        time.sleep(0.2)
finally:
    session.delete_endpoint(model.endpoint_name)
    model.delete_model()

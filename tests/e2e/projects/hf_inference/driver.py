"""A local Hugging Face endpoint as its users deploy one: ``HuggingFaceModel`` with
``entry_point`` + ``source_dir`` (``code/``) and ``local_code``, on the image in TEST_IMAGE
(the hf-inference test image: the real Multi Model Server), with two model-server workers.

Deploys, prints "endpoint ready after X.XXs", then -- once TEST_GO_FILE exists, if set --
sends two JSON requests at once (one thread each), prints each answer, and deletes the
endpoint and the model (unless TEST_KEEP_ENDPOINT is set: for watch mode to follow it).

Environment: TEST_IMAGE, TEST_GO_FILE, TEST_KEEP_ENDPOINT.
"""

import json
import os
import tarfile
import threading
import time
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.huggingface import HuggingFaceModel
from sagemaker.local import LocalSession

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"
REQUESTS = {"a": [1, 2], "b": [10]}

session = LocalSession(
    sagemaker_config={
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
)
session.config = {"local": {"local_code": True}}


def main() -> None:
    work = HERE / "model"
    work.mkdir(exist_ok=True)
    (work / "model.json").write_text(json.dumps({"scale": 3}))
    with tarfile.open(work / "model.tar.gz", "w:gz") as tar:
        tar.add(work / "model.json", arcname="model.json")
    model = HuggingFaceModel(
        model_data=f"file://{work / 'model.tar.gz'}",
        image_uri=os.environ["TEST_IMAGE"],
        entry_point="inference.py",
        source_dir=str(HERE / "code"),
        role=ROLE,
        env={"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
        # deploy() asks S3 for a default bucket unless told where code would go.
        code_location="s3://local-mode-unused/code",
        sagemaker_session=session,
    )
    started = time.monotonic()
    predictor = model.deploy(initial_instance_count=1, instance_type="local", wait=False)
    print(f"endpoint ready after {time.monotonic() - started:.2f}s", flush=True)
    try:
        go = os.environ.get("TEST_GO_FILE")
        while go and not Path(go).exists():
            time.sleep(0.2)

        errors = []

        def ask(name: str) -> None:
            started = time.monotonic()
            try:
                answer = predictor.predict({"inputs": REQUESTS[name]})
            except Exception as exc:
                errors.append(exc)
                raise
            took = time.monotonic() - started
            print(f"answer {name}: {json.dumps(answer)} after {took:.1f}s", flush=True)

        threads = [threading.Thread(target=ask, args=(name,)) for name in REQUESTS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise SystemExit(f"{len(errors)} request(s) failed: {errors}")
    except BaseException:
        delete(predictor)
        raise
    if not os.environ.get("TEST_KEEP_ENDPOINT"):  # kept: watch mode follows it
        delete(predictor)


def delete(predictor) -> None:
    predictor.delete_model()
    predictor.delete_endpoint()


if __name__ == "__main__":
    main()

"""Train, deploy a local endpoint, predict, clean up -- an unmodified local-mode workflow.

Run under the debugger with `smdebug-local run deploy.py`: the training container waits for
a debugger (attach, or pass --no-wait), then every model-server worker listens on its own
port; a breakpoint in src/inference.py stops the request that reaches it.

Environment (besides driver.py's):
  SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE  serving image (e.g. from
                                       `python tests/images/build.py pytorch-inference`)
  EXAMPLE_ENTRY_POINT                  inference.py (default) or inference_split.py
  EXAMPLE_SERVING_WORKERS              model-server workers (default 1)
  EXAMPLE_HOLD_FILE                    before predicting, wait until this file exists
"""

import os
import sys
import time
from pathlib import Path

import numpy as np
from sagemaker.deserializers import NumpyDeserializer
from sagemaker.pytorch import PyTorchModel
from sagemaker.serializers import NumpySerializer

import driver


def serving_model(entry_point: str = "inference.py", workers: str = "1"):
    """Train, then the PyTorchModel that serves the result (endpoint or batch transform)."""
    image = os.environ.get("SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE")
    if not image:
        sys.exit("set SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE to a PyTorch inference image")
    estimator = driver.train()
    return PyTorchModel(
        model_data=estimator.model_data,
        entry_point=entry_point,
        source_dir=str(driver.HERE / "src"),
        image_uri=image,
        framework_version="2.3",
        py_version="py311",
        role=driver.ROLE,
        sagemaker_session=estimator.sagemaker_session,
        # deploy() asks S3 for a default bucket unless told where code would go.
        code_location="s3://local-mode-unused/code",
        env={"SAGEMAKER_MODEL_SERVER_WORKERS": workers},
    )


def main() -> None:
    model = serving_model(
        os.environ.get("EXAMPLE_ENTRY_POINT", "inference.py"),
        os.environ.get("EXAMPLE_SERVING_WORKERS", "1"),
    )
    started = time.monotonic()
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="local",
        serializer=NumpySerializer(),
        deserializer=NumpyDeserializer(),
    )
    print(f"endpoint ready after {time.monotonic() - started:.1f}s", flush=True)
    try:
        hold = os.environ.get("EXAMPLE_HOLD_FILE")
        while hold and not Path(hold).exists():
            time.sleep(0.2)
        sample = np.random.default_rng(1).random((2, 1, 8, 8), dtype=np.float32)
        prediction = predictor.predict(sample).tolist()
        # Flush what the SDK left in the buffer first, so this line is written whole.
        sys.stdout.flush()
        print(f"prediction: {prediction}", flush=True)
    finally:
        predictor.delete_model()
        predictor.delete_endpoint()


if __name__ == "__main__":
    main()

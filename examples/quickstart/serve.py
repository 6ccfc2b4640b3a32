"""Train, then deploy a local endpoint and leave it up -- for the edit-and-reload loop.

`smdebug-local run --watch serve.py` keeps the endpoint serving after this script ends:
a save of src/inference.py that changes function bodies goes into the running worker (a
fraction of a second, the model stays loaded); any other edit (model_fn, imports,
module-level code) reloads the model-server workers (about two seconds). Either way the
next request to http://127.0.0.1:8080/invocations runs the edited code -- with your
breakpoints. Ctrl-C removes the endpoint. (Plain `python serve.py` would keep serving
until Ctrl-C too: local mode serves from a non-daemon thread.)

Environment: as deploy.py's.
"""

import os
import time

from sagemaker.deserializers import NumpyDeserializer
from sagemaker.serializers import NumpySerializer

from deploy import serving_model


def main() -> None:
    model = serving_model(
        os.environ.get("EXAMPLE_ENTRY_POINT", "inference.py"),
        os.environ.get("EXAMPLE_SERVING_WORKERS", "1"),
    )
    started = time.monotonic()
    model.deploy(
        initial_instance_count=1,
        instance_type="local",
        serializer=NumpySerializer(),
        deserializer=NumpyDeserializer(),
    )
    print(f"endpoint ready after {time.monotonic() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()

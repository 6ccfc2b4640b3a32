"""Train, then run a local batch transform job -- an unmodified local-mode workflow.

Run under the debugger with `smdebug-local run transform.py`: the training container waits
for a debugger (attach, or pass --no-wait); then the transform job's serving container
starts and every model-server worker listens on its own port, so a breakpoint in
src/inference.py stops on each record the job sends.

Environment (besides driver.py's):
  SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE  serving image (e.g. from
                                       `python tests/images/build.py pytorch-inference`)
"""

import sys

import numpy as np

import driver
from deploy import serving_model


def main() -> None:
    model = serving_model()
    batch = driver.HERE / "batch"
    batch.mkdir(exist_ok=True)
    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        np.save(batch / f"{name}.npy", rng.random((3, 1, 8, 8), dtype=np.float32))
    out = driver.OUTPUT / "transform"
    # SingleRecord: local mode's MultiRecord batching concatenates binary files as text.
    transformer = model.transformer(
        instance_count=1,
        instance_type="local",
        strategy="SingleRecord",
        output_path=f"file://{out}",
        accept="application/x-npy",
    )
    # logs=False: with logs the SDK reads CloudWatch, which local mode has no stand-in for.
    transformer.transform(f"file://{batch}", content_type="application/x-npy", logs=False)
    for name in ("a", "b"):
        classes = np.load(out / f"{name}.npy.out")
        sys.stdout.flush()  # what the SDK left in the buffer first: this line is written whole
        print(f"transform {name}: {classes.tolist()}", flush=True)


if __name__ == "__main__":
    main()

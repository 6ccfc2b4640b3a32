"""The PyTorch inference DLC's entrypoint: `serve` starts TorchServe via the SageMaker
serving toolkit (which returns once the server runs), then keeps the container alive."""

import shlex
import subprocess
import sys

if sys.argv[1] == "serve":
    from sagemaker_pytorch_serving_container import serving

    serving.main()
else:
    subprocess.check_call(shlex.split(" ".join(sys.argv[1:])))

subprocess.call(["tail", "-f", "/dev/null"])

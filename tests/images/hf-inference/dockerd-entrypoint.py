"""The Hugging Face inference DLC's entrypoint: `serve` starts Multi Model Server through
sagemaker-huggingface-inference-toolkit's serving.main() (which waits on the MMS process);
anything else runs as a command. Then the container stays up, as the DLC's does."""

import shlex
import subprocess
import sys

if sys.argv[1] == "serve":
    from sagemaker_huggingface_inference_toolkit import serving

    serving.main()
else:
    subprocess.check_call(shlex.split(" ".join(sys.argv[1:])))

# prevent docker exit
subprocess.call(["tail", "-f", "/dev/null"])

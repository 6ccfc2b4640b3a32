"""Stand-in for the XGBoost container's training module (see the package docstring)."""

import sys

import sagemaker_containers.beta.framework as framework


def main():
    job = framework.training_env()
    if job.user_entry_point is None:
        raise NotImplementedError("stand-in: XGBoost algorithm mode is not reproduced")
    framework.modules.run_module(
        job.module_dir,
        job.to_cmd_args(),
        job.to_env_vars(),
        job.module_name,
        capture_error=False,
    )
    sys.exit(0)

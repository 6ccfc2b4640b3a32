"""Stand-in for the scikit-learn container's training module (see the package docstring).

As the real one since 2020, it hands the user's entry point to the training toolkit
(``sagemaker-training``), whose process runner starts it as ``python <script>.py ...``.
"""

from sagemaker_training import entry_point, environment, runner


def main():
    job = environment.Environment()
    entry_point.run(
        uri=job.module_dir,
        user_entry_point=job.user_entry_point,
        args=job.to_cmd_args(),
        env_vars=job.to_env_vars(),
        runner_type=runner.ProcessRunnerType,
    )

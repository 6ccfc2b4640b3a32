"""The training toolkit and ModelTrainer: the entry point, its ranks, and what is not user code."""

from seen import seen

PYTORCH = {"SAGEMAKER_TRAINING_MODULE": "sagemaker_pytorch_container.training:main"}


def test_the_entry_point_of_a_pytorch_image_is_named_pytorch():
    line = ["/opt/venv/bin/python", "--", "train.py", "--epochs", "1"]
    assert seen("training", line, cwd="/opt/ml/code", environ=PYTORCH).who == (
        "training algo-1 (PyTorch)"
    )


def test_a_torchrun_rank_says_its_rank():
    line = ["/opt/venv/bin/python", "-u", "train.py"]
    env = {**PYTORCH, "RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}
    assert seen("training", line, cwd="/opt/ml/code", environ=env).who == (
        "training algo-1 rank 1/2 (PyTorch)"
    )


def test_an_mpi_rank_runs_its_script_through_mpi4py():
    line = ["/opt/venv/bin/python", "-m", "mpi4py", "train.py"]
    env = {"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4"}
    assert seen("training", line, cwd="/opt/ml/code", environ=env).who == "training algo-1 rank 3/4"


def test_model_trainer_runs_the_code_channel_unnamed_in_an_image_that_says_nothing():
    line = ["/usr/bin/python3", "/opt/ml/input/data/code/train.py"]
    assert seen("training", line).who == "training algo-1"


def test_the_toolkit_and_pip_are_not_debugged():
    for line in (
        ["/opt/venv/bin/python", "/opt/venv/bin/train"],
        ["/usr/bin/python3", "-c", "pass"],
    ):
        assert not seen("training", line, environ=PYTORCH).debugged

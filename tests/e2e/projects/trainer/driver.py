"""A SageMaker SDK v3 driver: ModelTrainer in local container mode (no AWS account needed).

Environment: TEST_IMAGE (training image), TEST_INSTANCE_COUNT (default 1),
TEST_RANKS_PER_HOST (set: a torchrun job, distributed=Torchrun(process_count_per_node=N),
no hyperparameters).
"""

import os
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute, InputData, SourceCode
from sagemaker.train.distributed import Torchrun
from sagemaker.train.model_trainer import Mode

HERE = Path(__file__).resolve().parent
(HERE / "data").mkdir(exist_ok=True)
(HERE / "data" / "numbers.txt").write_text("\n".join(str(i) for i in range(10)) + "\n")
(HERE / "work").mkdir(exist_ok=True)

trainer = ModelTrainer(
    training_image=os.environ["TEST_IMAGE"],
    source_code=SourceCode(source_dir=str(HERE / "src"), entry_script="train.py"),
    compute=Compute(
        instance_type="local_cpu", instance_count=int(os.environ.get("TEST_INSTANCE_COUNT", "1"))
    ),
    training_mode=Mode.LOCAL_CONTAINER,
    **(
        {"distributed": Torchrun(process_count_per_node=int(os.environ["TEST_RANKS_PER_HOST"]))}
        if os.environ.get("TEST_RANKS_PER_HOST")
        else {"hyperparameters": {"scale": 3}}
    ),
    local_container_root=str(HERE / "work"),
)
trainer.train(
    input_data_config=[InputData(channel_name="training", data_source=str(HERE / "data"))]
)
print("model files:", sorted(p.name for p in (HERE / "work" / "model").iterdir()))

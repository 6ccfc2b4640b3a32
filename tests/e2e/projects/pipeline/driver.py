"""A SageMaker Pipelines pipeline run locally (LocalPipelineSession), SDK 2.x: prepare
(processing), train, create the model, score (batch transform) -- an ordinary pipeline.

Local processing goes through S3 even locally, so the test points the SDK at a local S3
(moto) through AWS_ENDPOINT_URL; a user has real S3.
Environment: PROCESSING_IMAGE (python3), TRAINING_IMAGE (PyTorch training toolkit),
SERVING_IMAGE (PyTorch inference toolkit); AWS_ENDPOINT_URL in tests.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
from sagemaker.pytorch import PyTorch
from sagemaker.transformer import Transformer
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import LocalPipelineSession
from sagemaker.workflow.steps import ProcessingStep, TrainingStep, TransformStep

HERE = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::111111111111:role/local-mode-dummy"  # local mode never uses it
DATA, BATCH, OUTPUT = HERE / "data", HERE / "batch", HERE / "output"
for folder in (DATA, BATCH, OUTPUT):
    folder.mkdir(exist_ok=True)
(DATA / "numbers.txt").write_text("\n".join(str(i) for i in range(5)) + "\n")
(BATCH / "records.json").write_text("[1, 2, 3]")

session = LocalPipelineSession(default_bucket="smdebug-local-test")
session.config = {"local": {"local_code": True}}
session.sagemaker_config = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}

processor = ScriptProcessor(
    image_uri=os.environ["PROCESSING_IMAGE"],
    command=["python3"],
    role=ROLE,
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
)
prepare = ProcessingStep(
    name="Prepare",
    step_args=processor.run(
        code=str(HERE / "code" / "prepare.py"),
        inputs=[ProcessingInput(source=str(DATA), destination="/opt/ml/processing/input/data")],
        outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/output/train")],
    ),
)

estimator = PyTorch(
    entry_point="train.py",
    source_dir=str(HERE / "src"),
    image_uri=os.environ["TRAINING_IMAGE"],
    framework_version="2.3",
    py_version="py311",
    role=ROLE,
    instance_count=1,
    instance_type="local",
    sagemaker_session=session,
    output_path=f"file://{OUTPUT}",
)
train_data = prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
train = TrainingStep(
    name="Train", step_args=estimator.fit({"train": TrainingInput(s3_data=train_data)})
)

# The serving code is mounted from this folder (local code), not repacked into the model:
# runtime repacking would run a training job of its own on an image from ECR.
model = Model(
    image_uri=os.environ["SERVING_IMAGE"],
    model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
    role=ROLE,
    sagemaker_session=session,
    env={
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": f"file://{HERE / 'src'}",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
    },
)
create_model = ModelStep(name="CreateModel", step_args=model.create(instance_type="local"))

transformer = Transformer(
    model_name=create_model.properties.ModelName,
    instance_count=1,
    instance_type="local",
    strategy="SingleRecord",
    accept="application/json",
    output_path=f"file://{OUTPUT / 'score'}",
    sagemaker_session=session,
)
score = TransformStep(
    name="Score",
    step_args=transformer.transform(f"file://{BATCH}", content_type="application/json"),
)

pipeline = Pipeline(
    name="smdebug-local-pipeline",
    steps=[prepare, train, create_model, score],
    sagemaker_session=session,
)
pipeline.upsert(role_arn=ROLE)
execution = pipeline.start()
steps = {s["StepName"]: s["StepStatus"] for s in execution.list_steps()["PipelineExecutionSteps"]}
status = execution.describe()["PipelineExecutionStatus"]
sys.stdout.flush()
print(f"pipeline: {status} {json.dumps(steps, sort_keys=True)}", flush=True)
if status != "Succeeded":
    print(execution.describe(), flush=True)
    sys.exit(1)
print("score:", (OUTPUT / "score" / "records.json.out").read_text(), flush=True)

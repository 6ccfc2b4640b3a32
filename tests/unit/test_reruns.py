"""Watch mode's reruns of processing jobs and ModelTrainer jobs (smdebug_local.sdk.reruns)
and the adapters' hooks that record and repeat the user's call -- over stand-in SDK
modules that have the SDK's method names and record what reaches them; no Docker."""

from __future__ import annotations

import contextlib
import sys
import types

import pytest

from smdebug_local.sdk import JobRequest
from smdebug_local.sdk.compose_file import ComposeFileAdapter
from smdebug_local.sdk.model_trainer import ModelTrainerAdapter
from smdebug_local.sdk.reruns import (
    output_locations,
    processing_call,
    rerun_outputs,
    trainer_call,
)
from smdebug_local.watch.filters import Source
from smdebug_local.watch.jobs import Job


def nothing(*args, **kwargs) -> None:
    return None


def test_a_script_processor_runs_its_one_file_a_framework_processor_its_source_dir(tmp_path):
    script = tmp_path / "preprocess.py"
    script.write_text("")
    call = processing_call({"code": str(script)}, nothing)
    assert (call.source_dir, call.entry_point, call.entry_only) == (
        str(tmp_path),
        "preprocess.py",
        True,
    )
    call = processing_call({"code": "preprocess.py", "source_dir": str(tmp_path)}, nothing)
    assert (call.source_dir, call.entry_point, call.entry_only) == (
        str(tmp_path),
        "preprocess.py",
        False,
    )
    call = processing_call({"code": f"file://{script}", "source_dir": None}, nothing)
    assert call.source_dir == str(tmp_path)


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({"code": "s3://bucket/code/preprocess.py"}, "runs code from S3"),
        ({"code": "p.py", "source_dir": "s3://bucket/src.tar.gz"}, "runs code from S3"),
        ({"code": "p.py", "source_dir": "src", "git_config": {"repo": "r"}}, "runs code from git"),
        ({"code": None}, "runs the code in its image"),
    ],
)
def test_code_not_in_a_local_folder_is_not_followed(given, why):
    call = processing_call(given, nothing)
    assert (call.source_dir, call.elsewhere) == (None, why)


def test_a_model_trainer_follows_its_local_source_dir_only(tmp_path):
    archive = tmp_path / "src.tar.gz"
    archive.write_text("")
    code = types.SimpleNamespace
    call = trainer_call(code(source_dir=str(tmp_path), entry_script="train.py"), nothing)
    assert (call.source_dir, call.entry_point, call.entry_only) == (
        str(tmp_path),
        "train.py",
        False,
    )
    for source_code, why in (
        (code(source_dir="s3://bucket/src", entry_script="train.py"), "runs code from S3"),
        (code(source_dir=str(archive), entry_script="train.py"), "an archive"),
        (code(source_dir=None, entry_script=None), "a command with no source_dir"),
        (None, "the code in its image"),
    ):
        call = trainer_call(source_code, nothing)
        assert call.source_dir is None and why in call.elsewhere


def test_a_rerun_writes_outputs_apart_unless_their_location_names_the_job():
    config = {
        "Outputs": [
            {"OutputName": "a", "S3Output": {"S3Uri": "s3://b/job-rerun-1/output/a"}},
            {"OutputName": "b", "S3Output": {"S3Uri": "s3://b/fixed/"}},
            {"OutputName": "c", "S3Output": {"S3Uri": "file:///work/out"}},
            {"OutputName": "d", "FeatureStoreOutput": {"FeatureGroupName": "g"}},
        ]
    }
    out = rerun_outputs(config, "job-rerun-1")
    assert [o.get("S3Output", {}).get("S3Uri") for o in out["Outputs"]] == [
        "s3://b/job-rerun-1/output/a",
        "s3://b/fixed/job-rerun-1",
        "file:///work/out/job-rerun-1",
        None,
    ]
    assert config["Outputs"][1]["S3Output"]["S3Uri"] == "s3://b/fixed/", "given one untouched"
    assert output_locations(out) == (
        "s3://b/job-rerun-1/output/a, s3://b/fixed/job-rerun-1, file:///work/out/job-rerun-1"
    )
    assert output_locations({}) == "none"


class Hooks:
    """What the adapters hand a session: only the job requests matter here."""

    def __init__(self) -> None:
        self.requests: list[JobRequest] = []

    def job_run(self, request: JobRequest):
        self.requests.append(request)
        return contextlib.nullcontext()

    def on_compose(self, request) -> dict:
        return {"services": {}}


def _stand_ins(monkeypatch, processes: list) -> tuple[type, type]:
    """Stand-in local mode (``fake_local``) and processors (``fake_processing``): the
    FrameworkProcessor uploads its source_dir and calls its parent's run with the uploaded
    code, as the SDK's does; the processor's run starts the job in local mode."""

    class Container:
        def _generate_compose_file(self, command, additional_volumes=None, **kw):
            return {}

        def train(
            self, input_data_config, output_data_config, hyperparameters, environment, job_name
        ):
            return None

        def process(
            self, processing_inputs, processing_output_config, environment, processing_job_name
        ):
            processes.append((processing_output_config, processing_job_name))

        def serve(self, model_dir, environment):
            return None

        def stop_serving(self):
            return None

    class ScriptProcessor:
        def __init__(self) -> None:
            self.jobs: list[str] = []

        def run(self, code, inputs=None, outputs=None, wait=True, job_name=None):
            name = job_name or "proc-1"
            for output in outputs or []:  # as the SDK does: the default, in place
                output["S3Output"].setdefault("S3Uri", f"s3://b/{name}/output/o")
            self.jobs.append(name)
            self.latest = (code, wait, name)
            Container().process([], {"Outputs": outputs or []}, {}, name)

    class FrameworkProcessor(ScriptProcessor):
        def run(self, code, source_dir=None, inputs=None, outputs=None, wait=True, job_name=None):
            return super().run("s3://b/runproc.sh", inputs, outputs, wait, job_name)

    image = types.SimpleNamespace(
        _SageMakerContainer=Container,
        _HostingContainer=type("_HostingContainer", (), {"run": lambda self: None}),
    )
    entities = types.SimpleNamespace(_wait_for_serving_container=lambda serving_port: None)
    processing = types.SimpleNamespace(
        ScriptProcessor=ScriptProcessor, FrameworkProcessor=FrameworkProcessor
    )
    for name, module in (
        ("fake_local", types.ModuleType("fake_local")),
        ("fake_local.image", image),
        ("fake_local.entities", entities),
        ("fake_processing", processing),
    ):
        monkeypatch.setitem(sys.modules, name, module)
    return ScriptProcessor, FrameworkProcessor


def test_a_processing_rerun_makes_the_run_call_again_named_and_writing_apart(monkeypatch, tmp_path):
    processes: list = []
    script_cls, framework_cls = _stand_ins(monkeypatch, processes)
    adapter = ComposeFileAdapter("fake_local", processing="fake_processing")
    hooks = Hooks()
    adapter.install(hooks)
    try:
        (tmp_path / "preprocess.py").write_text("")
        processor = framework_cls()
        output = {"OutputName": "o", "S3Output": {"S3Uri": "s3://b/fixed"}}
        default: dict = {"OutputName": "d", "S3Output": {}}
        processor.run(
            "preprocess.py", source_dir=str(tmp_path), outputs=[output, default], wait=False
        )
        (request,) = hooks.requests  # one job, described by the outermost run()
        assert (request.kind, request.name, request.source_dir, request.entry_point) == (
            "processing",
            "proc-1",
            str(tmp_path),
            "preprocess.py",
        )
        assert request.rerun is not None and not request.entry_only

        # The default location is the SDK's for the new name, not the first run's filled in.
        assert request.rerun(2) == ("s3://b/fixed/proc-1-rerun-2, s3://b/proc-1-rerun-2/output/o")
        assert processes[-1][1] == "proc-1-rerun-2"
        assert hooks.requests == [request], "a rerun is no new job"
        assert processor.jobs == ["proc-1"], "the script's processor is left as it was"
        assert processor.latest == ("s3://b/runproc.sh", False, "proc-1")
        assert output["S3Output"]["S3Uri"] == "s3://b/fixed"

        script_cls().run(str(tmp_path / "preprocess.py"))
        assert hooks.requests[-1].entry_only
        script_cls().run("s3://b/code/preprocess.py")
        assert (hooks.requests[-1].rerun, hooks.requests[-1].elsewhere) == (
            None,
            "runs code from S3",
        )
        Container = sys.modules["fake_local.image"]._SageMakerContainer
        Container().process([], {}, {}, "from-a-pipeline")  # no run() recorded it
        assert hooks.requests[-1].rerun is None
    finally:
        adapter.uninstall()
    assert "__smdebug_local_original__" not in vars(framework_cls.run)


def test_a_model_trainer_rerun_trains_again_under_its_own_name_and_root(monkeypatch, tmp_path):
    started: list = []

    class LocalContainer:
        def __init__(self, name: str, root: str) -> None:
            self.training_job_name, self.container_root, self.image = name, root, "img"

        def _generate_compose_file(self, environment, volumes):
            return {}

        def train(self, wait):
            started.append((self.training_job_name, self.container_root, wait))
            return f"file://{self.container_root}/compressed_artifacts/model.tar.gz"

    class ModelTrainer:
        def __init__(self, source_code) -> None:
            self.source_code = source_code
            self.root = str(tmp_path)

        def train(self, input_data_config=None, wait=True, logs=True):
            LocalContainer("job-1", self.root).train(wait)

    monkeypatch.setitem(
        sys.modules, "fake_trainer", types.SimpleNamespace(ModelTrainer=ModelTrainer)
    )
    monkeypatch.setitem(
        sys.modules, "fake_container", types.SimpleNamespace(_LocalContainer=LocalContainer)
    )
    adapter = ModelTrainerAdapter()
    adapter.module, adapter.local_module = "fake_trainer", "fake_container"
    hooks = Hooks()
    adapter.install(hooks)
    try:
        src = tmp_path / "src"
        src.mkdir()
        source = types.SimpleNamespace(source_dir=str(src), entry_script="train.py")
        ModelTrainer(source).train(["data"], wait=False)
        (request,) = hooks.requests
        assert (request.kind, request.name, request.source_dir, request.entry_point) == (
            "training",
            "job-1",
            str(src),
            "train.py",
        )
        assert request.rerun is not None
        root = tmp_path / "job-1-rerun-1"
        assert request.rerun(1) == f"file://{root}/compressed_artifacts/model.tar.gz"
        assert started[-1] == ("job-1-rerun-1", str(root), True)
        assert root.is_dir() and hooks.requests == [request]
        ModelTrainer(types.SimpleNamespace(source_dir="s3://b/src", entry_script="t.py")).train()
        assert hooks.requests[-1].rerun is None
    finally:
        adapter.uninstall()
    assert "__smdebug_local_original__" not in vars(ModelTrainer.train)


def test_a_processing_rerun_says_where_its_outputs_went():
    said: list[str] = []
    job = Job(
        kind="processing",
        name="proc-1",
        source=Source("processing", "/src", "preprocess.py", entry_only=True),
        rerun=lambda attempt: "s3://b/proc-1-rerun-1/output/result",
        retire=lambda targets, containers: None,
        remove=nothing,
        say=said.append,
        outputs="outputs",
    )
    job.apply(["/src/preprocess.py"])
    assert said[0] == "preprocess.py changed: rerunning processing job proc-1 (rerun 1)"
    assert said[1].startswith("rerun 1 of processing job proc-1 finished in ")
    assert said[1].endswith("s; outputs: s3://b/proc-1-rerun-1/output/result")


def test_watch_mode_follows_a_job_with_local_source_and_says_why_another_is_not(tmp_path):
    """The job a request describes counts the containers started inside its call; one with
    no local source (or no call that started it) is said once, and nothing follows it."""
    from smdebug_local.compose import DebugTarget
    from smdebug_local.options import DebugOptions
    from smdebug_local.watch.mode import WatchMode

    said: list[str] = []
    notes: list[str] = []
    mode = WatchMode(
        DebugOptions(watch=True),
        say=said.append,
        note=notes.append,
        retire=lambda targets, containers: None,
        remove=nothing,
        restart=nothing,
    )
    try:
        target = DebugTarget(role="processing", service="p-algo-1", host_ports=(5678,))
        followed = JobRequest(
            "processing",
            "proc-1",
            str(tmp_path),
            "preprocess.py",
            lambda attempt: None,
            entry_only=True,
            outputs="outputs",
        )
        with mode.job_run(followed):
            mode.follow("processing", target, {"container_name": "p-algo-1"})
        (job,) = mode._watch.jobs()
        assert isinstance(job, Job) and job.label == "processing job proc-1"
        assert job.runs.containers == ["p-algo-1"] and not job.busy()
        assert job.source == Source("processing", str(tmp_path), "preprocess.py", entry_only=True)
        assert said == [f"watching {tmp_path} for processing job proc-1"]

        with mode.job_run(JobRequest("training", "t-1", None, None, None)):
            mode.follow("training", target, {"container_name": "t-algo-1"})
        mode.follow("processing", target, {"container_name": "x-algo-1"})
        assert notes == [
            "--watch: training job t-1 runs code from S3; it is not rerun on changes",
            "--watch: processing container x-algo-1 was not started by a call smdebug-local "
            "can repeat; it is not rerun on changes",
        ]
        assert len(mode._watch.jobs()) == 1
    finally:
        mode.close()

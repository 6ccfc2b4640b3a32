"""The SDK 2.x adapter and the session's handling of what it receives."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from smdebug_local.compose import Mount, env_to_dict
from smdebug_local.options import DebugOptions
from smdebug_local.ports import PortAllocator
from smdebug_local.sdk import ComposeRequest
from smdebug_local.sdk.compose_file import ComposeFileAdapter
from smdebug_local.session import DebugSession

from fake_relay import RecordingRelay


class Marker:
    """Hooks that tag the compose content (pure logic under test: the adapter's routing)."""

    def on_compose(self, request: ComposeRequest) -> dict:
        content = dict(request.content)
        content["x-debugged"] = request.role
        return content

    def before_stop(self, names):
        self.stopped = names

    def wait_until_serving(self, endpoint):
        self.endpoint = endpoint

    def removed_on_purpose(self, names):
        return False


def test_file_gets_the_debug_config_while_the_sdk_keeps_its_own(
    sdk_container, tmp_path, monkeypatch
):
    from sagemaker.local import entities
    from sagemaker.local.image import _HostingContainer, _SageMakerContainer, _Volume

    replaced = [
        (_SageMakerContainer, name)
        for name in ("_generate_compose_file", "train", "serve", "stop_serving")
    ] + [(entities, "_wait_for_serving_container"), (_HostingContainer, "run")]
    originals = [owner.__dict__[name] for owner, name in replaced]
    # The SDK's own host lookup is followed (a configured or patched SDK included).
    monkeypatch.setattr(entities, "get_docker_host", lambda: "docker.example")
    adapter = ComposeFileAdapter("sagemaker.local")
    hooks = Marker()
    adapter.install(hooks)
    adapter.install(hooks)  # installing twice must not wrap twice
    try:
        returned = sdk_container._generate_compose_file(
            "train", additional_volumes=[_Volume(str(tmp_path), "/opt/ml/code")]
        )
        with open(f"{sdk_container.container_root}/docker-compose.yaml") as f:
            written = yaml.safe_load(f)
        entities._wait_for_serving_container(8080)
        sdk_container.container = None
        sdk_container.stop_serving()
    finally:
        adapter.uninstall()
    assert [owner.__dict__[name] for owner, name in replaced] == originals
    assert hooks.endpoint.ping_url == "http://docker.example:8080/ping"
    assert hooks.endpoint.compose_exit() is None  # serve() was not called: nothing known
    assert sorted(hooks.stopped) == sorted(
        s["container_name"] for s in written["services"].values()
    )
    assert written["x-debugged"] == "training"
    assert "x-debugged" not in returned
    # The SDK's retrieve_artifacts splits each volume into exactly host:container.
    for service in returned["services"].values():
        assert all(len(v.split(":")) == 2 for v in service["volumes"])


class NoEngine:
    """A toolkit image (its `train` is a console script: no program folder to look at)."""

    def image_env(self, image):
        return {"PYTHONPATH": "/img"}

    def image_id(self, image):
        return None  # no bytecode kept for it (tests/unit/test_bytecode_cache.py)

    def image_config(self, image):
        return {"Env": ["PATH=/opt/venv/bin:/usr/bin", "PYTHONPATH=/img"], "WorkingDir": ""}


def session(workspace=None, **options) -> DebugSession:
    import tempfile
    from pathlib import Path

    opts = DebugOptions(**options)
    return DebugSession(
        opts,
        Mount("/p", "/d"),
        engine=NoEngine(),
        ports=PortAllocator(opts.port, probe=lambda port, bind: port != 5679),
        workspace=workspace or Path(tempfile.mkdtemp(prefix="smdebug-local-ws-")),
        relay=RecordingRelay(),
    )


def test_each_training_host_gets_its_own_port_and_target(sdk_training_compose):
    s = session(wait=False)
    out = s.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    ports = {name: svc["ports"] for name, svc in out["services"].items()}
    assert ports == {"algo-1-ab1cd": ["127.0.0.1::5678"], "algo-2-ab1cd": ["127.0.0.1::5678"]}
    assert [(t.host, t.host_ports, t.wait) for t in s.targets] == [
        ("algo-1", (5678,), False),
        ("algo-2", (5680,), False),
    ]
    # Each host's endpoint is the relay's, forwarding to that container's debug port.
    names = {n: svc["container_name"] for n, svc in out["services"].items()}
    assert s.relay.routes == {
        5678: ((names["algo-1-ab1cd"], "algo-1-ab1cd"), 5678),
        5680: ((names["algo-2-ab1cd"], "algo-2-ab1cd"), 5678),
    }
    config = json.loads(
        env_to_dict(out["services"]["algo-1-ab1cd"]["environment"])["SMDEBUG_LOCAL"]
    )
    assert config["door"] == f"secret:{s.secret}" and len(s.secret) == 32
    assert s.targets[0].mappings[0][1] == "/opt/ml/code"
    assert out["networks"] == sdk_training_compose["networks"]
    svc = out["services"]["algo-1-ab1cd"]
    assert env_to_dict(svc["environment"])["PYTHONPATH"].endswith(":/extra")


def test_roles_not_yet_debugged_run_unchanged_but_labelled(sdk_training_compose, capsys):
    s = session()
    out = s.on_compose(ComposeRequest("pipeline-step", "img", sdk_training_compose))
    assert not s.targets
    for name, svc in out["services"].items():
        original = sdk_training_compose["services"][name]
        assert {k: v for k, v in svc.items() if k != "labels"} == original
        assert svc["labels"]["smdebug-local.run"] == s.run_id
    s.on_compose(ComposeRequest("pipeline-step", "img", sdk_training_compose))
    assert capsys.readouterr().err.count("pipeline-step containers are not debugged") == 1


def test_an_sdk_without_any_local_mode_is_named_with_the_fix(monkeypatch):
    import pytest

    import smdebug_local.sdk as sdk
    from smdebug_local.errors import SmdebugError

    monkeypatch.setattr(sdk, "_sdk_has", lambda module: False)
    with pytest.raises(SmdebugError, match=r"sagemaker 2\.\d+\.\d+ has none of the local modes"):
        sdk.available_adapters()
    monkeypatch.undo()
    assert [a.module for a in sdk.available_adapters()] == [
        "sagemaker.local",
        "sagemaker.serve.mode.local_container_mode",
    ]  # SDK 2.x


def test_local_gpu_reservation_survives_the_transform(sdk_container, tmp_path):
    """`local_gpu` makes the SDK reserve every GPU (compose `deploy`); debugging keeps it."""
    from sagemaker.local.image import _Volume

    sdk_container.instance_type = "local_gpu"
    (tmp_path / "src").mkdir()
    content = sdk_container._generate_compose_file(
        "train", additional_volumes=[_Volume(str(tmp_path / "src"), "/opt/ml/code")]
    )
    out = session().on_compose(ComposeRequest("training", "img", content))
    for name, service in out["services"].items():
        assert (
            service["deploy"]
            == content["services"][name]["deploy"]
            == {
                "resources": {
                    "reservations": {"devices": [{"count": "all", "capabilities": ["gpu"]}]}
                }
            }
        )
        assert service["ports"]  # and it is debuggable


def test_processing_code_that_cannot_be_located_is_said_once_not_a_hang(
    tmp_path, capsys, monkeypatch
):
    """The note is printed from inside on_compose (which holds the session's lock)."""
    copy = tmp_path / "download"
    copy.mkdir()
    (copy / "preprocess.py").write_text("print('only in the copy')\n")
    monkeypatch.chdir(tmp_path / "download")
    content = {
        "services": {
            "algo-1-abcde": {"image": "img", "volumes": [f"{copy}:/opt/ml/processing/input/code"]}
        }
    }
    s = session()
    for _ in range(2):
        out = s.on_compose(ComposeRequest("processing", "img", content))
    assert out["services"]["algo-1-abcde"]["ports"]  # debugged all the same
    assert capsys.readouterr().err.count("could not find the local folder of the code") == 1


class FailingWait(Marker):
    """A wait that crashes, as the one SDK 3.x's `timeout=` crashed (issue 18)."""

    def __init__(self):
        self.stopped_calls = []

    def before_stop(self, names):
        self.stopped_calls.append(list(names))

    def removed_on_purpose(self, names):
        return set(names) <= {n for call in self.stopped_calls for n in call}

    def wait_until_serving(self, endpoint):
        raise TypeError("a crash in the replaced wait")


def test_a_failed_wait_stops_the_compose_that_serve_started(sdk_container, monkeypatch):
    """Nothing is left behind: the serving compose is stopped and its containers removed,
    before (at once) and after it ended (compose may have created one meanwhile)."""
    import pytest
    from sagemaker.local import entities
    from sagemaker.local.image import _HostingContainer, _SageMakerContainer

    def serve(container, model_dir, environment):  # the SDK's, minus Docker
        container.container = _HostingContainer(["sleep", "60"])
        container.container.start()

    monkeypatch.setattr(_SageMakerContainer, "serve", serve)
    monkeypatch.setattr(entities, "get_docker_host", lambda: "localhost")
    with open(f"{sdk_container.container_root}/docker-compose.yaml", "w") as f:
        yaml.safe_dump({"services": {"algo-1-ab1cd": {"container_name": "abc-algo-1-ab1cd"}}}, f)
    adapter = ComposeFileAdapter("sagemaker.local")
    hooks = FailingWait()
    adapter.install(hooks)
    try:
        sdk_container.serve("file:///model", {})
        with pytest.raises(TypeError, match="a crash in the replaced wait"):
            entities._wait_for_serving_container(8080)
    finally:
        adapter.uninstall()
    assert not sdk_container.container.is_alive()
    assert sdk_container.container.process.returncode == -15  # compose stopped, not waited for
    assert hooks.stopped_calls == [["abc-algo-1-ab1cd"], ["abc-algo-1-ab1cd"]]


def test_each_rank_of_a_torchrun_host_gets_a_port(sdk_training_compose, tmp_path):
    """Local mode writes hyperparameters.json before the compose file: a torch_distributed
    job with 2 processes per host gets 2 ports per host container."""
    for service in sdk_training_compose["services"].values():
        (input_dir,) = [v.split(":")[0] for v in service["volumes"] if v.endswith(":/opt/ml/input")]
        config = Path(input_dir, "config")
        config.mkdir(parents=True, exist_ok=True)
        (config / "hyperparameters.json").write_text(
            json.dumps(
                {
                    "sagemaker_torch_distributed_enabled": "true",
                    "sagemaker_mpi_num_of_processes_per_host": "2",
                }
            )
        )
    s = session(wait=False)
    out = s.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    ports = {name: svc["ports"] for name, svc in out["services"].items()}
    assert ports == {
        "algo-1-ab1cd": ["127.0.0.1::5678", "127.0.0.1::5679"],
        "algo-2-ab1cd": ["127.0.0.1::5678", "127.0.0.1::5679"],
    }
    assert {p: cport for p, (_, cport) in s.relay.routes.items()} == {
        5678: 5678,
        5680: 5679,
        5681: 5678,
        5682: 5679,
    }
    # --ranks 0,3: one debugged rank per host, one port each.
    s = session(wait=False, ranks=(0, 3))
    out = s.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    assert [len(svc["ports"]) for svc in out["services"].values()] == [1, 1]
    assert all(t.ranks == (0, 3) for t in s.targets)


class Steps(Marker):
    """Hooks that record which pipeline step each compose configuration came with."""

    def __init__(self) -> None:
        self.steps: list[str | None] = []

    def on_compose(self, request: ComposeRequest) -> dict:
        self.steps.append(request.step)
        return super().on_compose(request)


def test_a_local_pipeline_steps_job_comes_with_the_steps_name(sdk_container):
    """The executor runs each step's job on its own thread inside ``_execute_step``: the
    compose configuration generated there is that step's; outside it is no step's."""
    from types import SimpleNamespace

    from sagemaker.local.pipeline import LocalPipelineExecutor

    original = LocalPipelineExecutor.__dict__["_execute_step"]

    class Job:
        def execute(self):
            sdk_container._generate_compose_file("train")
            return {"done": True}

    executing = []
    executor = SimpleNamespace(
        execution=SimpleNamespace(
            mark_step_executing=executing.append,
            update_step_properties=lambda name, properties: executing.append(properties),
        ),
        _step_executor_factory=SimpleNamespace(get=lambda step: Job()),
    )
    adapter = ComposeFileAdapter("sagemaker.local", pipeline="sagemaker.local.pipeline")
    hooks = Steps()
    adapter.install(hooks)
    adapter.install(hooks)  # once more: still one hook, undone by one uninstall
    try:
        LocalPipelineExecutor._execute_step(executor, SimpleNamespace(name="Train"))
        sdk_container._generate_compose_file("train")
    finally:
        adapter.uninstall()
    assert LocalPipelineExecutor.__dict__["_execute_step"] is original
    assert executing == ["Train", {"done": True}]
    assert hooks.steps == ["Train", None]


def test_a_step_is_named_for_this_thread_only_and_nesting_restores_the_outer():
    import threading

    from smdebug_local.sdk.compose_file import PipelineSteps, step_name

    steps = PipelineSteps()
    seen = []
    with steps.running("Prep"):
        thread = threading.Thread(target=lambda: seen.append(steps.current))
        thread.start()
        thread.join()
        with steps.running("Inner"):
            seen.append(steps.current)
        seen.append(steps.current)
    assert seen == [None, "Inner", "Prep"] and steps.current is None
    assert step_name(type("Step", (), {"name": "Train"})()) == "Train"
    assert step_name(object()) is None and step_name(type("S", (), {"name": ""})()) is None


def test_a_pipeline_steps_target_names_the_step_in_the_container_and_the_state_file(
    sdk_training_compose, tmp_path
):
    s = session(workspace=tmp_path)
    content = s.on_compose(ComposeRequest("training", "img", sdk_training_compose, step="Train"))
    for service in content["services"].values():
        config = json.loads(env_to_dict(service["environment"])["SMDEBUG_LOCAL"])
        assert config["step"] == "Train"
    doc = json.loads((tmp_path / ".smdebug-local" / "state.json").read_text())
    assert [t["step"] for t in doc["targets"]] == ["Train", "Train"]

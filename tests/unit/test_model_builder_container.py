"""ModelBuilder's docker-py container: the SDK's own ``containers.run`` arguments, turned
into a compose service, made debuggable by the compose rules, and turned back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from smdebug_local import docker_run
from smdebug_local.compose import LABEL_PORT, LABEL_ROLE, LABEL_RUN, Mount, transform_service
from smdebug_local.containers import with_sources
from smdebug_local.options import DebugOptions
from smdebug_local.payload import CONFIG_ENV, CONTAINER_BOOT_DIR, CONTAINER_DEBUGPY_DIR
from smdebug_local.roles import ROLES, plan
from smdebug_local.sdk import ContainerRequest
from smdebug_local.sdk.model_builder import (
    DYNAMIC_CODE,
    MODEL_DIRS,
    ModelBuilderAdapter,
    _Client,
    keep_file_name,
    spec_source_dir,
)
from smdebug_local.state import driver_entry, live_status, rows
from smdebug_local.targets import debug_target


class FakeContainers:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def run(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return SimpleNamespace(name=kwargs.get("name", "unnamed"))

    def list(self):
        return ["listed"]


class FakeClient:
    def __init__(self) -> None:
        self.containers = FakeContainers()
        self.images = "images"


def sdk_run_kwargs(helper: str, tmp_path: Path) -> tuple[str, tuple, dict]:
    """What the installed SDK's model-server helper passes to ``containers.run``."""
    from sagemaker.serve.model_server.multi_model_server.server import LocalMultiModelServer
    from sagemaker.serve.model_server.torchserve.server import LocalTorchServe

    owner = {"_start_torch_serve": LocalTorchServe, "_start_serving": LocalMultiModelServer}
    server = object.__new__(owner[helper])
    client = FakeClient()
    getattr(server, helper)(
        client=client,
        image="example/serving:1",
        model_path=str(tmp_path / "model"),
        secret_key="",
        env_vars={"SAGEMAKER_SERVE_SECRET_KEY": "a$b"},
    )
    ((args, kwargs),) = client.containers.calls
    return args[0], args[1:], kwargs


def sdk3_torchserve_kwargs(model_path: str) -> dict:
    """SDK 3.27's ``LocalTorchServe._start_torch_serve`` arguments (sagemaker-serve 1.27;
    SDK 2.x runs the same server on the host's network instead of publishing 8080)."""
    return {
        "detach": True,
        "auto_remove": True,
        "ports": {"8080/tcp": 8080},
        "volumes": {Path(model_path): {"bind": "/opt/ml/model", "mode": "rw"}},
        "environment": {
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_PROGRAM": "inference.py",
            "LOCAL_PYTHON": "3.11.2",
            "SAGEMAKER_SERVE_SECRET_KEY": "a$b",
        },
    }


@pytest.mark.parametrize("helper", ["_start_torch_serve", "_start_serving"])
def test_sdk_arguments_survive_the_round_trip(helper, tmp_path):
    _, _, kwargs = sdk_run_kwargs(helper, tmp_path)
    service = docker_run.to_service(kwargs, "modelbuilder-ab1cd")
    back = docker_run.to_run_kwargs(service, kwargs)
    assert back["name"] == "modelbuilder-ab1cd"
    assert back.get("ports") == kwargs.get("ports")
    assert back["network_mode"] == kwargs["network_mode"] == "host"  # SDK 2.x
    assert not docker_run.debuggable(kwargs)
    assert back["environment"] == dict(kwargs["environment"])
    assert back["detach"] is True and back["auto_remove"] is True
    # docker-py's dict form becomes the list form it also accepts.
    ((host, spec),) = kwargs["volumes"].items()
    assert back["volumes"] == [f"{host}:{spec['bind']}:{spec['mode']}"]


@pytest.mark.parametrize(
    "ports",
    [
        {"8080/tcp": 8080},
        {"8080/tcp": None},
        {"8080/tcp": ("127.0.0.1", 8081)},
        {"8080/tcp": [8080, 8081]},
        {"53/udp": 5353},
    ],
)
def test_port_forms(ports):
    service = docker_run.to_service({"ports": ports}, "c")
    assert docker_run.to_run_kwargs(service, {"ports": ports})["ports"] == ports


def test_torchserve_container_becomes_debuggable(tmp_path):
    model = str(tmp_path / "model")
    kwargs = sdk3_torchserve_kwargs(model)
    spec_dir = str(tmp_path / "project")
    service = docker_run.to_service(kwargs, "modelbuilder-ab1cd")
    settings = dataclasses.replace(ROLES["serving"], code_dirs=MODEL_DIRS, live_code=())
    p = with_sources(plan(settings, service, wait=None, cpus=2), (spec_dir,))
    options = DebugOptions()
    target = debug_target(
        "serving",
        "modelbuilder-ab1cd",
        p,
        options,
        host_ports=(5679, 5680),
        labels={LABEL_RUN: "r1"},
        status_dir=None,
    )
    mount = Mount("/cache/boot", "/cache/debugpy")
    debugged = transform_service(service, target, mount, {"PYTHONPATH": "/opt/lib"})
    run = docker_run.to_run_kwargs(debugged, kwargs)

    # Docker picks the loopback ports; the relay's 5679 and 5680 forward to them.
    assert run["ports"] == {
        "8080/tcp": 8080,
        "5678/tcp": ("127.0.0.1",),
        "5679/tcp": ("127.0.0.1",),
    }
    assert f"{model}:/opt/ml/model:rw" in run["volumes"]
    assert f"/cache/boot:{CONTAINER_BOOT_DIR}:ro" in run["volumes"]
    assert f"/cache/debugpy:{CONTAINER_DEBUGPY_DIR}:ro" in run["volumes"]
    assert f"{spec_dir}:{spec_dir}:ro" in run["volumes"]
    env = run["environment"]
    assert env["PYTHONPATH"] == f"{CONTAINER_BOOT_DIR}:/opt/lib"
    assert env["SAGEMAKER_SERVE_SECRET_KEY"] == "a$b"  # docker-py does not interpolate
    assert env["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600"
    assert env["TS_DEFAULT_RESPONSE_TIMEOUT"] == "3600"
    config = json.loads(env[CONFIG_ENV])
    assert config["mappings"][:2] == [[spec_dir, spec_dir], [model, "/opt/ml/model"]]
    # Workers start the debugger when they import inference.py from the model folder.
    assert config["defer"]["roots"] == ["/opt/ml/model"]
    assert run["labels"] == {LABEL_RUN: "r1", LABEL_ROLE: "serving", LABEL_PORT: "5679,5680"}
    assert run["detach"] is True and run["auto_remove"] is True


def test_host_network_is_not_debuggable():
    assert not docker_run.debuggable({"network_mode": "host"})
    assert docker_run.debuggable({"ports": {"8080/tcp": 8080}})


def test_client_routes_run_through_the_hook_and_keeps_the_rest():
    real = FakeClient()
    seen = []

    def debug(image, kwargs):
        seen.append((image, kwargs))
        return {**kwargs, "name": "x"}

    started = []
    client = _Client(real, debug, started.append)
    client.containers.run("img", "serve", detach=True)
    client.containers.run(image="img2", command=["a"], detach=True)  # Triton's keyword form
    assert real.containers.calls == [
        (("img", "serve"), {"detach": True, "name": "x"}),
        (("img2", ["a"]), {"detach": True, "name": "x"}),
    ]
    assert [s[0] for s in seen] == ["img", "img2"]
    assert started == ["x", "x"]
    assert client.images == "images" and client.containers.list() == ["listed"]


class Spec:
    def invoke(self, input_object, model):
        return input_object


def test_spec_source_dir_is_the_folder_of_its_class():
    assert spec_source_dir(Spec()) == str(Path(__file__).resolve().parent)
    assert spec_source_dir(None) is None
    assert spec_source_dir(object()) is None  # a builtin: no file of the user's


class Hooks:
    def __init__(self) -> None:
        self.requests: list[ContainerRequest] = []
        self.started: list[str] = []
        self.pickled: set[str] = set()

    def on_pickled_code(self, folder):
        self.pickled.add(folder)

    def on_container_started(self, name):
        self.started.append(name)

    def on_container(self, request):
        self.requests.append(request)
        return {**request.kwargs, "name": "debugged"}

    def unsupported(self, message):
        raise AssertionError(message)


def test_adapter_wraps_the_client_pull_image_sets(monkeypatch):
    from sagemaker.serve.mode.local_container_mode import LocalContainerMode

    original = LocalContainerMode.__dict__["_pull_image"]

    def pull(mode, image):
        mode.client = FakeClient()

    monkeypatch.setattr(LocalContainerMode, "_pull_image", pull)
    adapter = ModelBuilderAdapter()
    hooks = Hooks()
    adapter.install(hooks)
    try:
        mode = object.__new__(LocalContainerMode)
        mode.inference_spec = Spec()
        mode._pull_image("img")
        mode.client.containers.run("img", "serve", environment={})
    finally:
        adapter.uninstall()
    assert LocalContainerMode.__dict__["_pull_image"] is pull
    (request,) = hooks.requests
    assert (request.role, request.image, request.code_dirs) == ("serving", "img", MODEL_DIRS)
    assert request.source_dirs == (str(Path(__file__).resolve().parent),)
    # The session relays the started container's debugger lines (nothing else shows them).
    assert hooks.started == ["debugged"]
    assert original is not None


def test_driver_in_the_state_file():
    entry = driver_entry("127.0.0.1:5678", True, 42)
    doc = {"targets": [entry]}
    assert live_status(entry, {}) == "running"
    assert live_status(entry, {}, alive=False) == "gone"
    assert rows(doc, {})[1] == ["driver", "localhost", "driver-42", "127.0.0.1:5678", "", "running"]


def _defined_in_main():
    """A function cloudpickle pickles by value, as it does an InferenceSpec in a driver."""
    code = compile("def invoke(x):\n    return x + 1\n", __file__, "exec")
    namespace = {"__name__": "__main__"}
    exec(code, namespace)
    return namespace["invoke"]


def test_pickled_code_keeps_its_file_name_while_installed(monkeypatch):
    import pickle

    import cloudpickle
    from sagemaker.serve.mode.local_container_mode import LocalContainerMode

    monkeypatch.setattr(LocalContainerMode, "_pull_image", lambda mode, image: None)
    invoke = _defined_in_main()
    before = pickle.loads(cloudpickle.dumps(invoke)).__code__.co_filename
    assert before == DYNAMIC_CODE  # cloudpickle 3.1+: no breakpoint could bind there
    adapter = ModelBuilderAdapter()
    hooks = Hooks()
    adapter.install(hooks)
    adapter.install(Hooks())  # idempotent: one wrapper, one restore
    try:
        loaded = pickle.loads(cloudpickle.dumps(invoke))
    finally:
        adapter.uninstall()
    assert loaded.__code__.co_filename == __file__ and loaded(1) == 2
    assert hooks.pickled == {str(Path(__file__).resolve().parent)}
    assert pickle.loads(cloudpickle.dumps(invoke)).__code__.co_filename == DYNAMIC_CODE


def test_code_of_no_file_here_is_left_as_cloudpickle_writes_it():
    folders = []
    reduce = keep_file_name(lambda code: (type(code), ("a", DYNAMIC_CODE, 3)), folders.append)
    code = compile("x = 1", "<notebook cell>", "exec")
    assert reduce(code) == (type(code), ("a", DYNAMIC_CODE, 3)) and folders == []
    code = compile("x = 1", __file__, "exec")
    assert reduce(code) == (type(code), ("a", __file__, 3))
    assert folders == [str(Path(__file__).resolve().parent)]  # mounted where it runs


def test_a_transform_of_a_model_builder_model_mounts_the_pickled_code_folders(tmp_path):
    from smdebug_local.containers import Builders

    model = tmp_path / "model"
    (model / "code").mkdir(parents=True)
    service = {"volumes": [f"{model}:/opt/ml/model"]}
    builders = Builders(session=None)  # type: ignore[arg-type]
    assert builders.sources_of(service) == ()  # nothing pickled
    builders.pickled.add("/home/me/project")
    assert builders.sources_of(service) == ()  # not ModelBuilder's model
    (model / "code" / "serve.pkl").write_bytes(b"")
    assert builders.sources_of(service) == ("/home/me/project",)

"""The SDK 2.x adapter and the session's handling of what it receives."""

from __future__ import annotations

import yaml

from smdebug_local.compose import Mount, env_to_dict
from smdebug_local.options import DebugOptions
from smdebug_local.ports import PortAllocator
from smdebug_local.sdk import ComposeRequest
from smdebug_local.sdk.v2 import ComposeFileAdapter
from smdebug_local.session import DebugSession


def marker(request: ComposeRequest) -> dict:
    content = dict(request.content)
    content["x-debugged"] = request.role
    return content


def test_file_gets_the_debug_config_while_the_sdk_keeps_its_own(sdk_container, tmp_path):
    from sagemaker.local.image import _SageMakerContainer, _Volume

    original = _SageMakerContainer.__dict__["_generate_compose_file"]
    adapter = ComposeFileAdapter.for_v2()
    adapter.install(marker)
    adapter.install(marker)  # installing twice must not wrap twice
    try:
        returned = sdk_container._generate_compose_file(
            "train", additional_volumes=[_Volume(str(tmp_path), "/opt/ml/code")])
        written = yaml.safe_load(open(f"{sdk_container.container_root}/docker-compose.yaml"))
    finally:
        adapter.uninstall()
    assert _SageMakerContainer.__dict__["_generate_compose_file"] is original
    assert written["x-debugged"] == "training"
    assert "x-debugged" not in returned
    # The SDK's retrieve_artifacts splits each volume into exactly host:container.
    for service in returned["services"].values():
        assert all(len(v.split(":")) == 2 for v in service["volumes"])


class NoEngine:
    def image_env(self, image):
        return {"PYTHONPATH": "/img"}


def session(**options) -> DebugSession:
    s = DebugSession(DebugOptions(**options), engine=NoEngine())
    s._mount = Mount("/p", "/d")
    s._ports = PortAllocator(s.options.port, probe=lambda port, bind: port != 5679)
    return s


def test_each_training_host_gets_its_own_port_and_target(sdk_training_compose):
    s = session(wait=False)
    out = s.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    ports = {name: svc["ports"] for name, svc in out["services"].items()}
    assert ports == {"algo-1-ab1cd": ["127.0.0.1:5678:5678"],
                     "algo-2-ab1cd": ["127.0.0.1:5680:5678"]}
    assert [(t.host, t.host_port, t.wait) for t in s.targets] == [
        ("algo-1", 5678, False), ("algo-2", 5680, False)]
    assert s.targets[0].mappings[0][1] == "/opt/ml/code"
    assert out["networks"] == sdk_training_compose["networks"]
    svc = out["services"]["algo-1-ab1cd"]
    assert env_to_dict(svc["environment"])["PYTHONPATH"].endswith(":/extra")


def test_roles_not_yet_debugged_run_unchanged(sdk_training_compose, capsys):
    s = session()
    out = s.on_compose(ComposeRequest("serving", "img", sdk_training_compose))
    assert out == sdk_training_compose and not s.targets
    s.on_compose(ComposeRequest("serving", "img", sdk_training_compose))
    assert capsys.readouterr().err.count("serving containers are not debugged") == 1

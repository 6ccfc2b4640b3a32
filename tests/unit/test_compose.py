"""The compose transform, on service dicts produced by the real SDK."""

from __future__ import annotations

import json

import pytest

from smdebug_local.compose import (
    LABEL_PORT,
    LABEL_ROLE,
    LABEL_RUN,
    DebugTarget,
    Mount,
    code_mappings,
    env_to_dict,
    merge_env,
    parse_volume,
    short_host,
    transform_service,
)
from smdebug_local.payload import (
    CONFIG_ENV,
    CONTAINER_BOOT_DIR,
    CONTAINER_BYTECODE_DIR,
    CONTAINER_DEBUGPY_DIR,
)

MOUNT = Mount("/pkg/payload", "/cache/debugpy")


def target(service: str = "algo-1-ab1cd", port: int = 5678, **kw) -> DebugTarget:
    return DebugTarget(
        role="training",
        service=service,
        host_ports=(port,),
        match=("/opt/ml/code/*",),
        labels={LABEL_RUN: "run1"},
        **kw,
    )


@pytest.fixture
def service(sdk_training_compose):
    return sdk_training_compose["services"]["algo-1-ab1cd"]


def test_publishes_on_loopback_only_on_a_port_docker_picks(service):
    """The endpoint users attach to is the run's relay (port 5690); Docker publishes the
    container's port on an ephemeral loopback port the relay forwards to."""
    out = transform_service(service, target(port=5690), MOUNT)
    assert out["ports"] == ["127.0.0.1::5678"]
    config = json.loads(env_to_dict(out["environment"])["SMDEBUG_LOCAL"])
    assert config["ports"] == [[5678, "127.0.0.1:5690"]]


def test_bind_is_explicit_and_docker_still_publishes_on_loopback(service):
    out = transform_service(service, target(bind="0.0.0.0"), MOUNT)
    assert out["ports"] == ["127.0.0.1::5678"]
    config = json.loads(env_to_dict(out["environment"])["SMDEBUG_LOCAL"])
    assert config["ports"] == [[5678, "0.0.0.0:5678"]]


def test_the_adapter_asks_every_client_for_the_runs_secret(service):
    out = transform_service(service, target(door="secret:ab12"), MOUNT)
    assert json.loads(env_to_dict(out["environment"])["SMDEBUG_LOCAL"])["door"] == "secret:ab12"


def test_payload_mounts_are_read_only_and_sdk_volumes_kept(service):
    out = transform_service(service, target(), MOUNT)
    assert out["volumes"][: len(service["volumes"])] == service["volumes"]
    assert out["volumes"][-2:] == [
        f"/pkg/payload:{CONTAINER_BOOT_DIR}:ro",
        f"/cache/debugpy:{CONTAINER_DEBUGPY_DIR}:ro",
    ]


def test_the_images_debugpy_bytecode_is_mounted_read_only_for_debugpy_only(service):
    out = transform_service(service, target(), MOUNT, bytecode_dir="/cache/bytecode/ab")
    assert out["volumes"][-1] == f"/cache/bytecode/ab:{CONTAINER_BYTECODE_DIR}:ro"
    pycharm = transform_service(
        service, target(debugger="pydevd-pycharm"), MOUNT, bytecode_dir="/cache/bytecode/ab"
    )
    assert not any(CONTAINER_BYTECODE_DIR in v for v in pycharm["volumes"])


def test_selinux_relabel_is_kept_for_our_mounts(service):
    relabelled = {**service, "volumes": [v + ":z" for v in service["volumes"]]}
    out = transform_service(relabelled, target(), MOUNT)
    assert out["volumes"][-1].endswith(":ro,z")


def test_environment_is_merged_by_key_without_duplicates(service):
    out = transform_service(service, target(), MOUNT)
    keys = [item.partition("=")[0] for item in out["environment"]]
    assert len(keys) == len(set(keys))
    env = env_to_dict(out["environment"])
    assert env["AWS_REGION"] == "us-east-1" and env["TRAINING_JOB_NAME"] == "job-1"
    # The job's own PYTHONPATH stays behind ours.
    assert env["PYTHONPATH"] == f"{CONTAINER_BOOT_DIR}:/extra"


def test_image_pythonpath_is_kept_when_the_job_sets_none(service):
    env_list = [e for e in service["environment"] if not e.startswith("PYTHONPATH=")]
    out = transform_service(
        {**service, "environment": env_list},
        target(),
        MOUNT,
        image_env={"PYTHONPATH": "/opt/lib", "PATH": "/bin"},
    )
    assert env_to_dict(out["environment"])["PYTHONPATH"] == f"{CONTAINER_BOOT_DIR}:/opt/lib"


def test_no_pythonpath_anywhere(service):
    env_list = [e for e in service["environment"] if not e.startswith("PYTHONPATH=")]
    out = transform_service({**service, "environment": env_list}, target(), MOUNT, {})
    assert env_to_dict(out["environment"])["PYTHONPATH"] == CONTAINER_BOOT_DIR


def test_bootstrap_config(service):
    mappings = tuple(code_mappings(service, "/opt/ml/code"))
    out = transform_service(service, target(port=5679, wait=False, mappings=mappings), MOUNT)
    config = json.loads(env_to_dict(out["environment"])[CONFIG_ENV])
    assert config == {
        "role": "training",
        "host": "algo-1",
        "ports": [[5678, "127.0.0.1:5679"]],
        "wait": False,
        "match": ["/opt/ml/code/*"],
        "mappings": [[mappings[0][0], "/opt/ml/code"]],
        "debugpy": CONTAINER_DEBUGPY_DIR,
    }


def test_dollar_signs_are_escaped_for_compose(service):
    out = transform_service(
        service, target(mappings=(("/home/$USER/src", "/opt/ml/code"),)), MOUNT, image_env={}
    )
    raw = env_to_dict(out["environment"])[CONFIG_ENV]
    assert "/home/$$USER/src" in raw
    assert json.loads(raw.replace("$$", "$"))["mappings"] == [["/home/$USER/src", "/opt/ml/code"]]


def test_labels(service):
    out = transform_service(service, target(port=5680), MOUNT)
    assert out["labels"] == {LABEL_RUN: "run1", LABEL_ROLE: "training", LABEL_PORT: "5680"}
    listed = transform_service(
        {**service, "labels": ["team=ml", f"{LABEL_ROLE}=x"]}, target(), MOUNT
    )
    assert listed["labels"][0] == "team=ml" and f"{LABEL_ROLE}=training" in listed["labels"]
    assert f"{LABEL_ROLE}=x" not in listed["labels"]


def test_input_is_not_mutated_and_other_keys_survive(service):
    gpu = {
        **service,
        "deploy": {
            "resources": {"reservations": {"devices": [{"count": "all", "capabilities": ["gpu"]}]}}
        },
    }
    snapshot = json.dumps(gpu, sort_keys=True)
    out = transform_service(gpu, target(), MOUNT)
    assert json.dumps(gpu, sort_keys=True) == snapshot
    for key in ("image", "container_name", "command", "networks", "deploy", "tty"):
        assert out[key] == gpu[key]


def test_existing_ports_from_container_config_are_kept(service):
    out = transform_service({**service, "ports": ["8888:8888"]}, target(), MOUNT)
    assert out["ports"] == ["8888:8888", "127.0.0.1::5678"]


def test_two_hosts_get_their_own_short_names(sdk_training_compose):
    names = sorted(sdk_training_compose["services"])
    assert [short_host(n) for n in names] == ["algo-1", "algo-2"]
    assert short_host("my-service") == "my-service"


def test_code_mappings(service):
    (mapping,) = code_mappings(service, "/opt/ml/code")
    assert mapping[0].endswith("/src") and mapping[1] == "/opt/ml/code"
    assert code_mappings(service, "/opt/program") == []


def test_code_mappings_name_the_folder_without_a_trailing_slash():
    # A FrameworkProcessor's code input, as the SDK mounts it.
    service = {"volumes": ["/tmp/tmpab12/code:/opt/ml/processing/input/code/"]}
    assert code_mappings(service, "/opt/ml/processing/input/code") == [
        ("/tmp/tmpab12/code", "/opt/ml/processing/input/code")
    ]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("/a:/b", ("/a", "/b", "")),
        ("/a:/b:ro", ("/a", "/b", "ro")),
        ("/a:/b:ro,z", ("/a", "/b", "ro,z")),
        ("C:\\src:/opt/ml/code", ("C:\\src", "/opt/ml/code", "")),
        ("C:/src:/opt/ml/code:z", ("C:/src", "/opt/ml/code", "z")),
    ],
)
def test_parse_volume(spec, expected):
    assert parse_volume(spec) == expected


def test_merge_env_keeps_form_and_order():
    assert merge_env(["A=1", "B=2", "A=3"], {"B": "x", "C": "y"}) == ["A=3", "B=x", "C=y"]
    assert merge_env({"A": "1"}, {"A": "2"}) == {"A": "2"}
    assert merge_env(None, {"A": "1"}) == ["A=1"]
    assert env_to_dict(["EMPTY=", "EQ=a=b"]) == {"EMPTY": "", "EQ": "a=b"}


def test_one_port_per_worker_and_extra_mounts_and_env_defaults(service):
    t = DebugTarget(
        role="serving",
        service="algo-1-ab1cd",
        host_ports=(5700, 5702),
        volumes=("/src:/opt/ml/model/code",),
        env_defaults={"SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600", "AWS_REGION": "never-used"},
    )
    out = transform_service(service, t, MOUNT)
    assert out["ports"] == ["127.0.0.1::5678", "127.0.0.1::5679"]
    assert out["volumes"][-1] == "/src:/opt/ml/model/code:ro"
    env = env_to_dict(out["environment"])
    assert env["SAGEMAKER_MODEL_SERVER_TIMEOUT"] == "3600"
    assert env["AWS_REGION"] == "us-east-1"  # a default never overrides the job's value
    assert out["labels"][LABEL_PORT] == "5700,5702"


def test_label_service_only_adds_labels(service):
    from smdebug_local.compose import label_service

    out = label_service(service, "processing", {LABEL_RUN: "r"})
    assert {k: v for k, v in out.items() if k != "labels"} == service
    assert out["labels"] == {LABEL_RUN: "r", LABEL_ROLE: "processing"}


def test_connect_mode_publishes_nothing_and_maps_the_host_gateway():
    service = {
        "image": "img",
        "environment": ["A=1"],
        "ports": ["8080:8080"],
        "extra_hosts": ["db:10.0.0.2"],
    }
    t = DebugTarget(
        role="serving",
        service="algo-1-abcde",
        host_ports=(),
        connect=("host.docker.internal", 5678),
        mappings=(("/home/me/$rc", "/opt/ml/model/code"), ("/home/me/$rc", "/opt/ml/code")),
    )
    out = transform_service(service, t, MOUNT)
    # The container maps paths itself: one IDE listener needs no pathMappings for all roles.
    assert env_to_dict(out["environment"])["PATHS_FROM_ECLIPSE_TO_PYTHON"] == (
        '[["/home/me/$$rc", "/opt/ml/model/code"], ["/home/me/$$rc", "/opt/ml/code"]]'
    )
    assert out["ports"] == ["8080:8080"]  # only the SDK's own
    assert out["extra_hosts"] == ["db:10.0.0.2", "host.docker.internal:host-gateway"]
    config = json.loads(env_to_dict(out["environment"])["SMDEBUG_LOCAL"])
    assert config["connect"] == ["host.docker.internal", 5678] and config["ports"] == []
    # A user's own mapping of the name wins; the mapping form of extra_hosts is kept.
    kept = transform_service(
        {**service, "extra_hosts": ["host.docker.internal:10.9.9.9"]}, t, MOUNT
    )
    assert kept["extra_hosts"] == ["host.docker.internal:10.9.9.9"]
    as_map = transform_service({**service, "extra_hosts": {"db": "10.0.0.2"}}, t, MOUNT)
    assert as_map["extra_hosts"] == {"host.docker.internal": "host-gateway", "db": "10.0.0.2"}


def test_published_port_reads_short_syntax_with_or_without_an_address():
    from smdebug_local.compose import published_port

    assert published_port({"ports": ["8080:8080"]}, 8080) == 8080
    assert published_port({"ports": ["127.0.0.1:5679:5678", "9000:8080"]}, 8080) == 9000
    assert published_port({"ports": ["127.0.0.1:5679:5678"]}, 8080) is None
    assert published_port({}, 8080) is None

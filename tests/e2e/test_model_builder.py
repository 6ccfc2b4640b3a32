"""SDK 3.x ``ModelBuilder``: LOCAL_CONTAINER (docker-py container, debugged like a compose
service) and IN_PROCESS (the driver itself, ``--debug-driver``), offline.

ModelBuilder needs S3 in ``build()`` (a local moto server here) and always pulls its image
(the driver skips the pull for an image present locally: test tooling). Offline, the driver
does what a user without AWS access would: it names its default bucket (otherwise the SDK asks
STS for the account, at an endpoint ``AWS_ENDPOINT_URL`` does not reach) and sets
``SAGEMAKER_VALIDATE_ROLE=false`` (the SDK's own switch; moto cannot simulate IAM policies).
The serving image is the project's pytorch-inference plus what ModelBuilder's own
``inference.py`` imports in the container (sagemaker-serve, cloudpickle), which users get
from the requirements ModelBuilder captures.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from smdebug_local.ide import jsonc

import build
from conftest import WAITING, marker_line, our_containers
from dap import Debugger

pytestmark = pytest.mark.e2e

SDK3_SERVE = ("sagemaker-serve==1.27.0", "sagemaker-core==2.27.0", "cloudpickle")

DRIVER = '''\
"""ModelBuilder with an InferenceSpec defined in this script (pickled by value)."""
import os
import sys
import time

import docker
from docker.models.images import ImageCollection

_pull = ImageCollection.pull


def pull(self, repository, *args, **kwargs):  # test tooling: local images are not pulled
    try:
        return self.get(repository)
    except docker.errors.ImageNotFound:
        return _pull(self, repository, *args, **kwargs)


ImageCollection.pull = pull

from sagemaker.core.helper.session_helper import Session  # noqa: E402
from sagemaker.core.local.local_session import LocalSession  # noqa: E402
from sagemaker.core.transformer import Transformer  # noqa: E402
from sagemaker.serve.builder.schema_builder import SchemaBuilder  # noqa: E402
from sagemaker.serve.mode.function_pointers import Mode  # noqa: E402
from sagemaker.serve.model_builder import ModelBuilder  # noqa: E402
from sagemaker.serve.spec.inference_spec import InferenceSpec  # noqa: E402
from sagemaker.serve.utils.types import ModelServer  # noqa: E402


class Spec(InferenceSpec):
    def load(self, model_dir):
        return {"scale": 3}  # load breakpoint

    def invoke(self, input_object, model):
        total = sum(input_object) * model["scale"]  # invoke breakpoint
        return {"total": total}


mode = Mode[os.environ["TEST_MODE"]] if "TEST_MODE" in os.environ else None
if os.environ.get("TEST_CRASH"):
    from sagemaker.serve.local_resources import LocalEndpoint

    def crash(self):
        raise RuntimeError("crash injected mid-deploy")

    LocalEndpoint._universal_deep_ping = crash

started = time.monotonic()
builder = ModelBuilder(
    sagemaker_session=Session(default_bucket="smdebug-local-test"),
    inference_spec=Spec(),
    schema_builder=SchemaBuilder([1, 2, 3], {"total": 18}),
    model_server=ModelServer.TORCHSERVE,
    mode=mode or Mode.LOCAL_CONTAINER,
    image_uri=os.environ.get("TEST_IMAGE"),
    model_path=os.path.abspath("model"),
    role_arn="arn:aws:iam::123456789012:role/SageMakerRole",
    dependencies={"auto": False},
    env_vars={
        "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
        # Importing sagemaker.serve in the container needs a region.
        "AWS_DEFAULT_REGION": "us-east-1",
        # SDK 3.27 overwrites the entry point with "" when `dependencies` is given, unless
        # these are set.
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    },
)
model = builder.build()
if mode is None:  # batch transform through SDK 3.x local mode (compose)
    os.makedirs("input", exist_ok=True)
    with open("input/records.jsonl", "w") as f:
        f.write("[1, 2, 3]\\n[4, 5, 6]\\n")
    transformer = Transformer(
        model.model_name,
        1,
        "local",
        output_path="file://" + os.path.abspath("output"),
        sagemaker_session=LocalSession(),
        strategy="SingleRecord",
        assemble_with="Line",
        accept="application/json",
    )
    transformer.transform(
        "file://" + os.path.abspath("input"),
        content_type="application/json",
        split_type="Line",
        job_name="mb-transform",
    )
    with open("output/records.jsonl.out") as f:
        print("OUTPUT " + " ".join(f.read().split()), flush=True)
    sys.exit(0)
endpoint = builder.deploy(endpoint_name="mb-test")
print(f"DEPLOYED {time.monotonic() - started:.1f}s", flush=True)
result = endpoint.invoke(body=[1, 2, 3])
body = result.body if mode == Mode.IN_PROCESS else result.body.read().decode()
print(f"RESULT {body}", flush=True)
if mode == Mode.LOCAL_CONTAINER:
    endpoint.delete()
    left = docker.from_env().containers.list(all=True, filters={"label": "smdebug-local.run"})
    print(f"LEFT {sorted(c.name for c in left)}", flush=True)
else:
    builder.modes[str(Mode.IN_PROCESS)].destroy_server()
print(f"DONE {time.monotonic() - started:.1f}s", flush=True)
'''

DRIVER_LINE = re.compile(
    r"smdebug-local: driver pid \d+ waiting for debugger on (?P<bind>[\d.]+):(?P<port>\d+)"
)


@pytest.fixture(scope="session")
def sdk3_serving_image(serving_image: str) -> str:
    """The serving image with what ModelBuilder's ``inference.py`` imports (built once)."""
    digest = hashlib.sha256(f"{serving_image}\n{SDK3_SERVE}".encode()).hexdigest()[:12]
    tag = f"smdebug-local-test/pytorch-inference-sdk3:{digest}"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode:
        with tempfile.TemporaryDirectory() as ctx:
            Path(ctx, "build-ca.pem").write_bytes(build.host_ca_bundle().read_bytes())
            Path(ctx, "Dockerfile").write_text(
                "ARG BASE\nFROM ${BASE}\nCOPY build-ca.pem /tmp/build-ca.pem\n"
                "RUN PIP_CERT=/tmp/build-ca.pem pip install --no-cache-dir "
                + " ".join(f'"{p}"' for p in SDK3_SERVE)
                + " && rm /tmp/build-ca.pem\n"
            )
            subprocess.run(
                ["docker", "build", "--build-arg", f"BASE={serving_image}", "-t", tag, ctx],
                check=True,
                env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"},
            )
    return tag


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "mb-project"
    dest.mkdir()
    (dest / "driver.py").write_text(DRIVER)
    return dest


def _env(local_s3: dict, **extra: str) -> dict:
    return {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_VALIDATE_ROLE": "false",
        **local_s3,
        **extra,
    }


def _attach(host: str, port: int, driver: Path, lines: list[int], mappings=()) -> Debugger:
    debugger = Debugger(
        host=host, port=port, path_mappings=list(mappings), breakpoints={str(driver): lines}
    )
    debugger.attach()
    return debugger


def test_local_container_breakpoints_in_load_and_invoke(
    project, sdk3_serving_image, local_s3, start_run, sdk3
):
    before = set(our_containers())
    driver = project / "driver.py"
    load, line = (
        marker_line(driver, "# load breakpoint"),
        marker_line(driver, "# invoke breakpoint"),
    )
    started = time.monotonic()
    # --wait: the script invokes the endpoint as soon as deploy() returns (as batch
    # transform sends its records), so the worker waits for the debugger before loading.
    run = start_run(
        ["--wait", "driver.py"],
        cwd=project,
        smdebug=str(sdk3),
        env=_env(local_s3, TEST_MODE="LOCAL_CONTAINER", TEST_IMAGE=sdk3_serving_image),
    )
    (match,) = run.wait_for(WAITING, timeout=300)
    assert match["role"] == "serving"
    assert (match["local"], match["remote"]) == (str(project), str(project))
    debugger = _attach(
        match["bind"],
        int(match["port"]),
        driver,
        [load, line],
        [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
    )
    stop = debugger.next_stop(timeout=300)  # the worker loads the model
    assert stop.frames()[0]["line"] == load
    stop.resume()
    # ModelBuilder's own health check invokes the model first, then the script does.
    for expected in ([1, 2, 3], [1, 2, 3]):
        stop = debugger.next_stop(timeout=300)
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (driver, line)
        assert stop.evaluate("input_object") == repr(expected)
        assert stop.evaluate("model['scale']") == "3"
        stop.resume()
    run.wait_for(re.compile(r"RESULT .*18"), timeout=120)
    # delete() removed ModelBuilder's serving container at once (the SDK alone leaves it
    # serving). Its compose copy may still be starting then (it exits on the taken port);
    # the end of the run removes it with the rest.
    (left,) = run.wait_for(re.compile(r"LEFT \[(?P<names>.*)\]"), timeout=60)
    assert "modelbuilder-" not in left["names"], left.group(0)
    assert run.finish() == 0, run.output
    assert set(our_containers()) - before == set()
    print(
        f"\n[model-builder] deploy -> breakpoint -> 200 -> delete: "
        f"{time.monotonic() - started:.1f}s"
    )


def test_local_container_crash_mid_deploy_leaves_nothing(
    project, sdk3_serving_image, local_s3, start_run, sdk3
):
    before = set(our_containers())
    run = start_run(
        ["driver.py"],
        cwd=project,
        smdebug=str(sdk3),
        env=_env(
            local_s3, TEST_MODE="LOCAL_CONTAINER", TEST_IMAGE=sdk3_serving_image, TEST_CRASH="1"
        ),
    )
    run.wait_for(WAITING, timeout=300)  # the container is up and debuggable
    assert run.finish(timeout=300) == 1, run.output
    assert run.saw("crash injected mid-deploy")
    assert set(our_containers()) - before == set()


def test_in_process_with_debug_driver(project, local_s3, start_run, sdk3):
    driver = project / "driver.py"
    load, invoke = (
        marker_line(driver, "# load breakpoint"),
        marker_line(driver, "# invoke breakpoint"),
    )
    run = start_run(
        ["--debug-driver", "--ide", "vscode", "driver.py"],
        cwd=project,
        smdebug=str(sdk3),
        env=_env(local_s3, TEST_MODE="IN_PROCESS"),
    )
    match = run.wait_for(DRIVER_LINE, timeout=120)[0]
    state = (project / ".smdebug-local" / "state.json").read_text()
    assert '"role": "driver"' in state and f"{match['bind']}:{match['port']}" in state
    # Written before the driver waits: the configuration VS Code attaches with.
    launch = jsonc.parse((project / ".vscode" / "launch.json").read_text()).to_python()
    (config,) = [c for c in launch["configurations"] if c["name"] == "smdebug-local: driver"]
    assert config["connect"] == {"host": "127.0.0.1", "port": int(match["port"])}
    debugger = _attach(match["bind"], int(match["port"]), driver, [load, invoke])
    stop = debugger.next_stop(timeout=120)
    assert stop.frames()[0]["line"] == load
    stop.resume()
    for _ in range(2):  # the health check's request, then the script's
        stop = debugger.next_stop(timeout=120)
        assert stop.frames()[0]["line"] == invoke
        assert stop.evaluate("input_object") == "[1, 2, 3]"
        stop.resume()
    run.wait_for(re.compile(r"RESULT .*18"), timeout=120)
    assert run.finish() == 0, run.output


def test_batch_transform_stops_in_invoke_for_each_record(
    project, sdk3_serving_image, local_s3, start_run, sdk3
):
    """SDK 3.x batch transform of ModelBuilder's model: local mode's compose container, with
    ``--wait`` (records are sent the moment the model is loaded)."""
    before = set(our_containers())
    driver = project / "driver.py"
    line = marker_line(driver, "# invoke breakpoint")
    run = start_run(
        ["--wait", "driver.py"],
        cwd=project,
        smdebug=str(sdk3),
        env=_env(local_s3, TEST_IMAGE=sdk3_serving_image),
    )
    (match,) = run.wait_for(WAITING, timeout=300)
    assert match["role"] == "serving"
    debugger = _attach(
        match["bind"],
        int(match["port"]),
        driver,
        [line],
        [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
    )
    seen = []
    for last in (False, True):
        stop = debugger.next_stop(timeout=300)
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (driver, line)
        seen.append(stop.evaluate("input_object"))
        # The job ends with its last record: its container may be gone before the answer.
        stop.resume(wait=not last)
    assert sorted(seen) == ["[1, 2, 3]", "[4, 5, 6]"]
    run.wait_for(re.compile(r"OUTPUT .*18.*45"), timeout=120)
    assert run.finish() == 0, run.output
    assert set(our_containers()) - before == set()

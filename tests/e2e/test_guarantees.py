"""Clean-up guarantees under faults, concurrent runs, and fast failure of dead containers.

Every way a run can end -- Ctrl-C (SIGINT), SIGTERM, an exception in the driver -- in every
phase -- a training container waiting for a debugger, a debugger paused at a breakpoint,
an endpoint being deployed -- must leave no container and no compose process of ours, and
the user's files as they were.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import WAITING, copy_project, describe_containers, marker_line, our_containers
from dap import Debugger

pytestmark = pytest.mark.e2e

# Runs the real driver, turning SIGUSR1 into an exception raised in the driver's main thread.
WRAPPER = """
import runpy, signal, sys
def fail(*_):
    raise RuntimeError("the driver failed on purpose")
signal.signal(signal.SIGUSR1, fail)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

EVENTS = {  # how the run ends -> its exit status
    "sigint": (signal.SIGINT, 130),
    "sigterm": (signal.SIGTERM, 143),
    "exception": (signal.SIGUSR1, 1),
}


def compose_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-af", "compose"], capture_output=True, text=True).stdout
    return [
        line for line in out.splitlines() if "docker-compose" in line or "docker compose" in line
    ]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def training_phase(plain, py39_image, start_run):
    def reach(phase: str):
        (plain / "wrapper.py").write_text(WRAPPER)
        run = start_run(["wrapper.py", "driver.py"], cwd=plain, env={"TEST_IMAGE": py39_image})
        (match,) = run.wait_for(WAITING)
        if phase == "paused":
            train = plain / "src" / "train.py"
            debugger = Debugger(
                match["bind"],
                int(match["port"]),
                [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
                {str(train): [marker_line(train, "# sum breakpoint")]},
            )
            debugger.attach()
            debugger.next_stop()
        return run, plain / "src"

    return reach


@pytest.fixture
def deploy_phase(quickstart, training_image, serving_image, start_run):
    def reach(phase: str):
        (quickstart / "wrapper.py").write_text(WRAPPER)
        run = start_run(
            ["--no-wait", "wrapper.py", "deploy.py"],
            cwd=quickstart,
            env={
                "SMDEBUG_LOCAL_EXAMPLE_IMAGE": training_image,
                "SMDEBUG_LOCAL_EXAMPLE_SERVING_IMAGE": serving_image,
                "EXAMPLE_EPOCHS": "1",
                "EXAMPLE_WORKERS": "0",
            },
        )
        # The worker listens while deploy() still waits for the endpoint.
        run.wait_for(
            re.compile(r"smdebug-local: serving algo-1 worker 1 \(TorchServe\) debugger listening")
        )
        assert not run.saw("endpoint ready")
        return run, quickstart / "src"

    return reach


@pytest.mark.parametrize("event", list(EVENTS))
@pytest.mark.parametrize("phase", ["training", "paused", "deploy"])
def test_every_ending_in_every_phase_leaves_nothing(phase, event, training_phase, deploy_phase):
    reach = deploy_phase if phase == "deploy" else training_phase
    earlier = set(our_containers())  # another test's leak is reported by that test
    run, source = reach(phase)
    before = snapshot(source)
    sig, status = EVENTS[event]
    started = time.monotonic()
    run.proc.send_signal(sig)
    assert run.finish(timeout=60) == status, run.output
    left = set(our_containers()) - earlier
    assert not left, f"{describe_containers(left)}\n{run.output}"
    assert not compose_processes()
    print(f"{phase}/{event}: ended and cleaned up in {time.monotonic() - started:.1f}s")
    assert snapshot(source) == before


def test_two_runs_at_once_do_not_collide(tmp_path, py39_image, start_run):
    projects = []
    for name in ("one", "two"):
        projects.append(tmp_path / name)
        copy_project("plain", projects[-1])
    runs = [start_run(["driver.py"], cwd=p, env={"TEST_IMAGE": py39_image}) for p in projects]
    matches = [run.wait_for(WAITING)[0] for run in runs]
    assert matches[0]["port"] != matches[1]["port"]
    assert [Path(m["local"]).parent for m in matches] == projects
    for match in matches:
        Debugger(
            match["bind"],
            int(match["port"]),
            [{"localRoot": match["local"], "remoteRoot": match["remote"]}],
            {},
        ).attach()
    for run in runs:
        assert run.finish() == 0, run.output
    for project in projects:
        assert (project / "output" / "model.tar.gz").is_file()


def test_a_serving_container_that_dies_at_start_fails_deploy_within_seconds(tmp_path, start_run):
    import build

    image = build.ensure("no-python")  # `serve` cannot even start
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights").write_text("0")
    subprocess.run(
        ["tar", "-czf", str(tmp_path / "model.tar.gz"), "-C", str(tmp_path / "model"), "weights"],
        check=True,
    )
    (tmp_path / "deploy.py").write_text(f"""
import os
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from sagemaker.local import LocalSession
from sagemaker.model import Model
session = LocalSession(sagemaker_config={{"SchemaVersion": "1.0", "SageMaker": {{
    "PythonSDK": {{"Modules": {{"TelemetryOptOut": True}}}}}}}})
session.config = {{"local": {{"local_code": True}}}}
model = Model(image_uri="{image}", model_data="file://{tmp_path}/model.tar.gz",
              role="arn:aws:iam::111111111111:role/dummy", sagemaker_session=session)
model.deploy(initial_instance_count=1, instance_type="local")
""")
    run = start_run(["deploy.py"], cwd=tmp_path)
    started = time.monotonic()
    assert run.finish(timeout=120) == 1, run.output
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"took {elapsed:.0f}s (the SDK alone gives up after 120s)"
    # One error line names the cause (the wait quotes the dead container's diagnosis).
    ours = [ln for ln in run.lines if ln.startswith("smdebug-local: error:")]
    assert ours and "has no Python interpreter" in ours[-1], run.output
    assert run.saw("the serving container stopped"), run.output
    assert not our_containers()

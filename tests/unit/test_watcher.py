"""Watch mode's decisions per job (Follower), pause reports, rerun bookkeeping -- no Docker."""

from __future__ import annotations

import os
import threading
import time

from smdebug_local.compose import DebugTarget, Mount, transform_service
from smdebug_local.payload import CONTAINER_STATUS_DIR
from smdebug_local.payload._smdebug_local_pause import PauseReporter
from smdebug_local.ports import PortAllocator
from smdebug_local.sdk.compose_file import rerun_output, training_request
from smdebug_local.watch.filters import Source
from smdebug_local.watch.jobs import Endpoint, paused
from smdebug_local.watch.watcher import Follower


class FakeJob:
    label = "training job j"
    source = Source("training", "/src", "train.py")

    def __init__(self) -> None:
        self.is_busy = False
        self.is_paused = False
        self.applied: list[list[str]] = []
        self.cancelled = 0
        self.release = threading.Event()
        self.in_place: list[list[str]] = []
        self.takes_in_place = False

    def busy(self) -> bool:
        return self.is_busy

    def paused(self) -> bool:
        return self.is_paused

    def apply_in_place(self, files: list[str]) -> bool:
        self.in_place.append(files)
        return self.takes_in_place

    def apply(self, files: list[str]) -> None:
        self.applied.append(files)
        self.release.wait(5)

    def cancel(self) -> None:
        self.cancelled += 1
        self.release.set()


def follower(job: FakeJob, said: list[str], **kw) -> Follower:
    return Follower(job, said.append, **kw)  # not started: the test calls step()


def test_a_change_starts_one_run_with_every_file_of_the_batch():
    job, said = FakeJob(), []
    f = follower(job, said)
    f.changed(["/src/a.py", "/src/b.py"])
    f.changed(["/src/a.py"])
    assert f.step() is True
    f._run.join(1)
    job.release.set()
    f._run.join(5)
    assert job.applied == [["/src/a.py", "/src/b.py"]]
    assert f.step() is False  # nothing pending


def test_a_paused_debugger_holds_the_change_and_says_so_once():
    job, said = FakeJob(), []
    job.is_paused = True
    f = follower(job, said)
    f.changed(["/src/train.py"])
    assert f.step() is False and f.step() is False
    assert (
        len(said) == 1 and "paused at a breakpoint" in said[0] and "--interrupt-paused" in said[0]
    )
    job.is_paused = False  # the user continued
    assert f.step() is True
    job.release.set()


def test_under_a_paused_debugger_an_edit_the_workers_take_in_place_is_applied_at_once():
    """Putting a new body into running workers stops nothing: the paused request goes on
    with the code it started with. What needs a reload still waits for the user."""
    job, said = FakeJob(), []
    job.is_paused = job.takes_in_place = True
    f = follower(job, said)
    f.changed(["/src/inference.py"])
    assert f.step() is False
    assert job.in_place == [["/src/inference.py"]] and job.applied == [] and said == []
    assert f.step() is False and job.in_place == [["/src/inference.py"]]  # nothing pending
    job.takes_in_place = False
    f.changed(["/src/inference.py"])
    assert f.step() is False and "paused at a breakpoint" in said[0]


def test_interrupt_paused_applies_at_once():
    job, said = FakeJob(), []
    job.is_paused = True
    f = follower(job, said, interrupt_paused=True)
    f.changed(["/src/train.py"])
    assert f.step() is True
    job.release.set()


def test_the_scripts_own_run_is_never_cancelled_the_change_waits():
    job, said = FakeJob(), []
    job.is_busy = True
    f = follower(job, said)
    f.changed(["/src/train.py"])
    assert f.step() is False
    assert job.cancelled == 0 and "applies when the current run" in said[0]
    job.is_busy = False
    assert f.step() is True
    job.release.set()


def test_a_change_during_a_rerun_cancels_it_and_starts_anew():
    job, said = FakeJob(), []
    f = follower(job, said)
    f.changed(["/src/train.py"])
    f.step()
    f.changed(["/src/util.py"])
    assert f.step() is True
    assert job.cancelled == 1 and any("cancelling" in s for s in said)
    job.release.set()
    f._run.join(5)
    assert job.applied == [["/src/train.py"], ["/src/util.py"]]


def test_a_run_cancelled_before_its_containers_exist_is_cancelled_once_they_do():
    job, said = FakeJob(), []
    calls = []

    def cancel():  # the first attempt finds nothing to remove yet
        calls.append(1)
        if len(calls) >= 3:
            job.release.set()

    job.cancel = cancel
    f = follower(job, said)
    f.changed(["/src/train.py"])
    f.step()
    f.changed(["/src/util.py"])
    assert f.step() is True
    assert len(calls) >= 3
    job.release.set()


def test_queue_policy_lets_the_rerun_finish_first():
    job, said = FakeJob(), []
    f = follower(job, said, policy="queue")
    f.changed(["/src/train.py"])
    f.step()
    f.changed(["/src/util.py"])
    assert f.step() is False and job.cancelled == 0
    job.release.set()
    f._run.join(5)
    assert f.step() is True
    f._run.join(5)
    assert job.applied == [["/src/train.py"], ["/src/util.py"]]


def test_the_pause_reporter_keeps_a_fresh_file_exactly_while_paused(tmp_path):
    reporter = PauseReporter(str(tmp_path))
    reporter.step(0, 100.0)
    assert not os.path.exists(reporter.path)
    reporter.step(1, 100.0)
    assert os.path.exists(reporter.path)
    first = os.stat(reporter.path).st_mtime_ns
    time.sleep(0.01)
    reporter.step(1, 101.5)  # refreshed, so the host does not think it stale
    assert os.stat(reporter.path).st_mtime_ns > first
    reporter.step(0, 102.0)
    assert not os.path.exists(reporter.path)


def test_the_host_reads_fresh_pause_reports_and_ignores_stale_ones(tmp_path):
    target = DebugTarget(
        role="training", service="algo-1-abcde", host_ports=(5678,), status_dir=str(tmp_path)
    )
    assert not paused([target])
    report = tmp_path / "42"
    report.write_text("paused\n")
    assert paused([target])
    old = time.time() - 60
    os.utime(report, (old, old))  # the process died while paused
    assert not paused([target])
    assert not paused([DebugTarget(role="training", service="x", host_ports=(1,))])


def test_the_status_folder_is_mounted_writable_and_named_in_the_config():
    target = DebugTarget(
        role="training",
        service="algo-1-abcde",
        host_ports=(5678,),
        status_dir="/tmp/status/algo-1-abcde",
    )
    out = transform_service(
        {"image": "i", "volumes": ["/a:/opt/ml/code"]}, target, Mount("/boot", "/debugpy")
    )
    assert f"/tmp/status/algo-1-abcde:{CONTAINER_STATUS_DIR}" in out["volumes"]
    config = next(e for e in out["environment"] if e.startswith("SMDEBUG_LOCAL="))
    assert f'"status":"{CONTAINER_STATUS_DIR}"' in config


def test_reruns_get_their_own_output_folder():
    assert rerun_output("file:///work/out", "job-1", 2) == "file:///work/out/job-1-rerun-2"
    assert rerun_output("s3://bucket/out", "job-1", 2) == "s3://bucket/out"
    assert rerun_output("", "job-1", 2) == ""


def test_a_released_port_is_handed_out_again_first():
    ports = PortAllocator(5678, probe=lambda port, bind: True)
    assert [ports.allocate(), ports.allocate()] == [5678, 5679]
    ports.release([5678])
    assert ports.allocate() == 5678
    assert ports.allocate() == 5680


def test_an_explicit_port_is_reused_by_the_rerun():
    ports = PortAllocator(6000, explicit=True, probe=lambda port, bind: True)
    assert ports.allocate() == 6000
    ports.release([6000])
    assert ports.allocate() == 6000


class FakeContainer:
    def __init__(self) -> None:
        self.compose_cmd_prefix = ["docker-compose"]


def test_a_training_request_describes_the_job_and_reruns_it_apart():
    calls = []

    def train(container, inputs, output, hyperparameters, environment, job_name):
        # As the SDK's _compose() does: the prefix list grows in place on every call.
        container.compose_cmd_prefix.extend(["-f", "x", "up"])
        calls.append((list(container.compose_cmd_prefix), output, job_name))
        return "artifacts"

    container = FakeContainer()
    args = (
        {"training": {}},
        {"S3OutputPath": "file:///out"},
        {"sagemaker_submit_directory": '"file:///work/src"', "sagemaker_program": '"train.py"'},
        {},
        "job-1",
    )
    request = training_request(train, container, args)
    assert (request.name, request.source_dir, request.entry_point) == (
        "job-1",
        "/work/src",
        "train.py",
    )
    train(container, *args)
    assert request.rerun(1) == "artifacts"
    assert calls[1] == (
        ["docker-compose", "-f", "x", "up"],
        {"S3OutputPath": "file:///out/job-1-rerun-1"},
        "job-1-rerun-1",
    )
    assert args[1] == {"S3OutputPath": "file:///out"}, "the SDK's arguments are untouched"


def test_code_from_s3_has_no_local_source_to_watch():
    request = training_request(
        lambda *a: None,
        FakeContainer(),
        ({}, {}, {"sagemaker_submit_directory": '"s3://b/src.tar.gz"'}, {}, "job"),
    )
    assert request.source_dir is None


def test_an_endpoint_without_management_api_is_restarted():
    said, restarted = [], []
    endpoint = Endpoint(
        container="c-algo-1",
        source=Source("serving", "/src", "inference.py"),
        base_url="http://127.0.0.1:9",
        restart=restarted.append,
        say=said.append,
    )
    endpoint.apply(["/src/inference.py"])
    assert restarted == ["c-algo-1"]
    assert "container restarted (the server has no worker-reload API)" in said[0]


def test_torchserve_workers_are_reloaded_and_mms_is_restarted(monkeypatch):
    """TorchServe describes a model as a list of versions; Multi Model Server as one object,
    and it cannot start workers it scaled to zero again: its container is restarted."""
    import pytest

    from smdebug_local.watch import model_server

    listing = {"models": [{"modelName": "model", "modelUrl": "/opt/ml/model"}]}
    torchserve = [{"modelName": "model", "minWorkers": 2, "maxWorkers": 2, "workers": []}]
    mms = {"modelName": "model", "minWorkers": 2, "maxWorkers": 2, "loadedAtStartup": True}
    for described, expected in ((torchserve, [("model", 2, 2)]), (mms, None)):
        monkeypatch.setattr(
            model_server,
            "_call",
            lambda method, url, timeout, described=described: (
                listing if url.endswith("/models") else described
            ),
        )
        if expected is None:
            with pytest.raises(model_server.ReloadUnsupported, match="Multi Model Server"):
                model_server.models("http://127.0.0.1:8080")
        else:
            found = model_server.models("http://127.0.0.1:8080")
            assert [(m.name, m.min_workers, m.max_workers) for m in found] == expected

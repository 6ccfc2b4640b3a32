"""Post-mortem pauses: a training job that crashes with nobody attached (`--no-wait`) stops
at the exception, says where to attach, shows the exception and the raising frame's
locals to the debugger that attaches, and on continue fails exactly as plain local mode
does. The same for a DataLoader worker's crash, a serving handler's (the client then gets
its 500) (projects/crash), and for a rank of a
distributed job that hung first, where `smdebug-local stacks` shows who waits where
(projects/ranks with its hyperparameter "hang").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_serving import ENDPOINT, READY, Post

from conftest import SMDEBUG, WAITING, copy_project, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

CRASHED = re.compile(
    r"smdebug-local: (?P<who>.+?) crashed \((?P<error>[^)]*\)?)\) at (?P<file>\S+):(?P<line>\d+) "
    r"-- paused for post-mortem on (?P<bind>[\d.]+):(?P<port>\d+); attach to inspect, "
    r"continue to let it fail"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What a failed training job looks like to the driver (SDK 2.x local mode).
JOB_FAILED = "Failed to run"


@pytest.fixture
def crash_project(tmp_path: Path) -> Path:
    return copy_project("crash", tmp_path / "crash")


def post_status(body: bytes) -> tuple[int, bytes]:
    """POST text/csv to the endpoint: (status, body), an HTTP error's too."""
    request = urllib.request.Request(
        ENDPOINT, data=body, method="POST", headers={"Content-Type": "text/csv"}
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def attach_at(listening, crashed) -> Debugger:
    """A debugger on the crashed process's endpoint, mapped as the listening line says."""
    debugger = Debugger(
        crashed["bind"],
        int(crashed["port"]),
        [{"localRoot": listening["local"], "remoteRoot": listening["remote"]}],
        {},
    )
    debugger.attach()
    return debugger


def exception_of(stop) -> dict:
    return stop.conn.request("exceptionInfo", {"threadId": stop.thread_id})


def user_traceback(output: str) -> list[str]:
    """The lines of the container's traceback that name the user's script, and its last."""
    plain = ANSI.sub("", output)
    lines = [line.split(" |", 1)[-1].strip() for line in plain.splitlines()]
    return [
        line
        for line in lines
        if (line.startswith('File "/opt/ml/code/train.py"') or line.startswith("ValueError:"))
    ]


def test_a_crash_with_nobody_attached_pauses_for_post_mortem_then_fails_as_plain_local_mode(
    crash_project, training_image, start_run
):
    env = {"TEST_IMAGE": training_image, "TEST_CRASH": "main"}
    source = crash_project / "src" / "train.py"
    run = start_run(["--no-wait", "--post-mortem", "driver.py"], cwd=crash_project, env=env)
    listening = run.wait_for(WAITING, timeout=300)[0]
    crashed = run.wait_for(CRASHED, timeout=300)[0]
    assert crashed["who"] == "training algo-1 (PyTorch)", crashed.group(0)
    assert crashed["error"] == "ValueError: bad shape (4, 1)", crashed.group(0)
    assert (crashed["file"], int(crashed["line"])) == (
        "train.py",
        marker_line(source, "# main crash"),
    )
    assert run.saw("epoch 1 done") and not run.saw("epoch 2 done")
    assert run.proc.poll() is None, "the run ended instead of waiting"

    debugger = attach_at(listening, crashed)
    try:
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        info = exception_of(stop)
        assert info["exceptionId"].split()[0] == "ValueError", info
        assert info["description"] == "bad shape (4, 1)", info
        frame = stop.frames()[0]
        assert (Path(frame["source"]["path"]), frame["line"]) == (
            source,
            marker_line(source, "# main crash"),
        )
        local = stop.locals()
        assert local["epoch"]["value"] == "2" and local["total"]["value"] == "6.0", local
        stop.resume(wait=False)
        code = run.finish(timeout=180)
    finally:
        debugger.close()

    # Plain local mode, the same job: the same exit status and the same traceback.
    plain = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=crash_project,
        env={**os.environ, **env, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert code == plain.returncode != 0, (code, plain.returncode)
    ours = "\n".join(run.lines)
    assert JOB_FAILED in ours and JOB_FAILED in plain.stdout + plain.stderr
    expected = user_traceback(plain.stdout + plain.stderr)
    assert "ValueError: bad shape (4, 1)" in expected, expected
    assert user_traceback(ours) == expected, ours[ours.index("epoch 1 done") :]


def test_a_dataloader_workers_crash_pauses_the_worker_for_post_mortem(
    crash_project, training_image, start_run
):
    source = crash_project / "src" / "train.py"
    run = start_run(
        ["--no-wait", "--post-mortem", "driver.py"],
        cwd=crash_project,
        env={"TEST_IMAGE": training_image, "TEST_CRASH": "worker"},
    )
    listening = run.wait_for(WAITING, timeout=300)[0]
    crashed = run.wait_for(CRASHED, timeout=300)[0]
    assert re.fullmatch(r"training algo-1 \(PyTorch\), child process \d+", crashed["who"]), (
        crashed.group(0)
    )
    assert crashed["error"] == "ValueError: bad item 5", crashed.group(0)
    assert int(crashed["line"]) == marker_line(source, "# worker crash")

    # The worker is a child of the training process: attaching there adopts it.
    debugger = attach_at(listening, crashed)
    try:
        debugger.wait_for_children(1, timeout=60)
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        assert exception_of(stop)["description"] == "bad item 5"
        frame = stop.frames()[0]
        assert frame["name"] == "__getitem__" and frame["line"] == marker_line(
            source, "# worker crash"
        )
        assert stop.locals()["index"]["value"] == "5"
        stop.resume(wait=False)
        code = run.finish(timeout=180)
    finally:
        debugger.close()
    assert code != 0
    assert run.saw("ValueError: Caught ValueError in DataLoader worker process 0")
    assert run.saw(JOB_FAILED)


def stacks(project: Path) -> tuple[dict, float]:
    """`smdebug-local stacks --json` in the project: its one run, and how long it took."""
    start = time.monotonic()
    done = subprocess.run(
        [SMDEBUG, "stacks", "--json"], cwd=project, capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["runs"][0], elapsed


def group_of(run: dict, rank: int) -> dict:
    """The stack group of the main thread of ``rank`` (the one with the user's frames)."""
    for group in run["groups"]:
        for member in group["members"]:
            if f" rank {rank}/" in member["label"] and any(
                f["file"] == "/opt/ml/code/train.py" for f in group["frames"]
            ):
                return group
    raise AssertionError(f"no stack of rank {rank} in {json.dumps(run, indent=1)}")


def test_a_hung_job_shows_every_ranks_stack_and_a_ranks_crash_pauses_for_post_mortem(
    tmp_path, training_image, start_run
):
    """Rank 1 never joins the all-reduce: `stacks` shows rank 0 in the collective and rank 1
    where it waits, three times in a row, without harming the job; then rank 1 crashes and
    pauses for post-mortem while rank 0 still waits."""
    project = copy_project("ranks", tmp_path / "ranks")
    source = project / "src" / "train.py"
    run = start_run(
        ["--no-wait", "--post-mortem", "driver.py"],
        cwd=project,
        env={
            "TEST_IMAGE": training_image,
            "TEST_HOSTS": "1",
            "TEST_RANKS_PER_HOST": "2",
            "TEST_HANG": "1",
        },
    )
    listening = {int(m["rank"]): m for m in run.wait_for(WAITING, count=2, timeout=300)}
    collective = marker_line(source, "# the all-reduce")
    outside = marker_line(source, "# rank 1 stays out")

    deadline = time.monotonic() + 60
    while True:  # until rank 0 has reached the collective (it may still import torch)
        doc, _ = stacks(project)
        try:
            if "all_reduce" in group_of(doc, 0)["summary"]:
                break
        except AssertionError:
            pass
        assert time.monotonic() < deadline, f"rank 0 not in the all-reduce: {doc['groups']}"
        time.sleep(0.5)
    for _ in range(3):
        doc, elapsed = stacks(project)
        print(f"stacks: {elapsed:.2f} s (collection {doc['seconds']:.2f} s)")
        rank0, rank1 = group_of(doc, 0), group_of(doc, 1)
        assert rank0["summary"] == f"all_reduce <- train.py:{collective}", rank0
        assert rank0["frames"][-1]["function"] == "all_reduce"
        assert rank1["summary"] == f"<module> at train.py:{outside}", rank1
        assert run.proc.poll() is None, "the job ended"
    text = subprocess.run(
        [SMDEBUG, "stacks"], cwd=project, capture_output=True, text=True, timeout=60
    ).stdout
    assert f"rank 0/2 (PyTorch): all_reduce <- train.py:{collective}" in text, text
    assert f"rank 1/2 (PyTorch): <module> at train.py:{outside}" in text, text

    (project / "data" / "go").touch()
    crashed = run.wait_for(CRASHED, timeout=120)[0]
    assert crashed["who"] == "training algo-1 rank 1/2 (PyTorch)", crashed.group(0)
    assert crashed["error"] == "RuntimeError: rank 1 gave up before the all-reduce"
    assert crashed["port"] == listening[1]["port"]
    assert run.saw("the other ranks wait for it")
    doc, _ = stacks(project)  # rank 0 still in the collective; rank 1 paused, crashed
    assert "all_reduce" in group_of(doc, 0)["summary"]
    assert any(
        "rank 1/2" in m["label"] and "post-mortem" in g["state"]
        for g in doc["groups"]
        for m in g["members"]
    ), doc["groups"]

    debugger = attach_at(listening[1], crashed)
    try:
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        assert exception_of(stop)["description"] == "rank 1 gave up before the all-reduce"
        local = stop.locals()
        assert local["rank"]["value"] == "1" and local["go"]["value"].endswith("/go'"), local
        stop.resume(wait=False)
        code = run.finish(timeout=180)
    finally:
        debugger.close()
    assert code != 0 and run.saw(JOB_FAILED)


def test_an_exception_escaping_a_serving_handler_pauses_then_the_client_gets_its_500(
    tmp_path, sklearn_image, start_run
):
    """scikit-learn serving (sagemaker-containers: gunicorn's gevent workers): predict_fn
    raises; with nobody attached the worker pauses and says where to attach; continue ->
    the client gets the 500 the container answers. Attached, the next such request stops
    at once (a user-unhandled exception in a handler), and the endpoint goes on serving."""
    project = copy_project("sagemaker_containers", tmp_path / "project")
    inference = project / "sklearn_src" / "inference.py"
    go = tmp_path / "go"
    run = start_run(
        ["--post-mortem", "driver.py", "deploy"],
        cwd=project,
        env={"TEST_IMAGE": sklearn_image, "TEST_GO_FILE": str(go)},
    )
    (serving,) = run.wait_for(WAITING)
    run.wait_for(READY, timeout=120)

    request = Post(b"-1\n", send=post_status)
    crashed = run.wait_for(CRASHED, timeout=60)[0]
    assert re.fullmatch(r"serving algo-1 \(scikit-learn\), child process \d+", crashed["who"])
    assert crashed["error"] == "ValueError: negative input [-1.0]", crashed.group(0)
    assert (crashed["file"], int(crashed["line"])) == (
        "inference.py",
        marker_line(inference, "# sklearn crash"),
    )
    assert request.is_alive(), "answered while paused"
    debugger = attach_at(serving, crashed)
    try:
        debugger.wait_for_children(2)  # the gunicorn workers
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        assert exception_of(stop)["description"] == "negative input [-1.0]"
        assert stop.frames()[0]["name"] == "predict_fn"
        assert stop.evaluate("features.ravel().tolist()") == "[-1.0]"
        stop.resume()
        assert request.outcome(timeout=60)[0] == 500

        # Attached: a handler's exception stops at once, no line, no wait.
        again = Post(b"-2\n", send=post_status)
        stop = debugger.next_stop(timeout=60)
        assert stop.reason == "exception"
        assert exception_of(stop)["description"] == "negative input [-2.0]"
        stop.resume()
        assert again.outcome(timeout=60)[0] == 500
        assert len(run.wait_for(CRASHED)) == 1
    finally:
        debugger.close()
    go.touch()  # the driver's own prediction still works
    run.wait_for(re.compile(r"prediction: \[3\.0, 5\.0, 7\.0\]"), timeout=60)
    assert run.finish(timeout=120) == 0, run.output

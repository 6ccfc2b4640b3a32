"""Bring-your-own containers as people build them: AWS's sample layout (nginx in front of
gunicorn's gevent workers, `train`/`serve` in /opt/program) and every common Python serving
model over the same program, with no --map: the user's copy of the program folder
(./container/decision_trees, as in the sample) is found and mapped.

Each serving model is checked the same way: breakpoint in the handler, locals read, two
requests at once each stop (none answered while the breakpoint holds it), both answered
200 after Continue.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
from pathlib import Path

import pytest
from test_serving import READY, Post, attach, post_csv

from conftest import WAITING, copy_project, marker_line

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parents[1] / "images" / "byoc-sample" / "decision_trees"
FLASK = ("predictor.py", "# byoc-sample flask breakpoint")
FASTAPI = ("asgi.py", "# byoc-sample fastapi breakpoint")
# server -> (workers, the handler): gunicorn forks its workers, uvicorn spawns them; Flask's
# server and waitress answer from threads of one process.
SERVERS = {
    "gevent": (2, FLASK),
    "sync": (2, FLASK),
    "gthread": (2, FLASK),
    "uvicorn-worker": (2, FASTAPI),
    "uvicorn": (2, FASTAPI),
    "flask": (1, FLASK),
    "waitress": (1, FLASK),
}
AUTO_MAPPED = "mapped automatically (the same files as the image's)"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    project = tmp_path / "byoc_sample"
    copy_project("byoc_sample", project)
    shutil.copytree(PROGRAM, project / "container" / "decision_trees")
    return project


def start(start_run, sample: Path, image: str, hold: Path, *args: str, **env: str):
    return start_run(
        ["driver.py", *args],
        cwd=sample,
        env={"TEST_IMAGE": image, "TEST_HOLD_FILE": str(hold), **env},
    )


def serving_target(run, sample: Path) -> re.Match:
    serving = next(m for m in run.wait_for(WAITING, count=1) if m["role"] == "serving")
    assert (serving["remote"], Path(serving["local"])) == (
        "/opt/program",
        (sample / "container" / "decision_trees").resolve(),
    ), serving.group(0)
    assert AUTO_MAPPED in serving.string, serving.string
    return serving


def assert_at(stop, source: Path, line: int) -> None:
    frame = stop.frames()[0]
    assert (Path(frame["source"]["path"]), frame["line"]) == (source, line), frame


@pytest.mark.parametrize("server", list(SERVERS))
def test_each_serving_model_stops_every_request(
    server, sample, byoc_sample_image, tmp_path, start_run
):
    workers, (name, marker) = SERVERS[server]
    source = (sample / "container" / "decision_trees" / name).resolve()
    line = marker_line(source, marker)
    hold = tmp_path / "hold"
    run = start(
        start_run,
        sample,
        byoc_sample_image,
        hold,
        "deploy",
        SERVER=server,
        MODEL_SERVER_WORKERS=str(workers),
    )
    serving = serving_target(run, sample)
    ready = float(run.wait_for(READY)[0].group(1))
    debugger = attach(serving, {source: [line]})
    if workers > 1:
        debugger.wait_for_children(workers)  # forked or spawned before we attached
    posts = {b"1,2": Post(b"1,2", send=post_csv), b"3,4": Post(b"3,4", send=post_csv)}

    first = debugger.next_stop()
    assert_at(first, source, line)
    assert first.locals()["numbers"]["value"] in ("[1.0, 2.0]", "[3.0, 4.0]")
    held = [first]
    try:  # the other request: in another worker it stops too; else its worker holds it
        held.append(debugger.next_stop(timeout=8))
        assert_at(held[-1], source, line)
    except AssertionError:
        if len(held) > 1:
            raise
    assert not any(p.result or p.error for p in posts.values()), (
        "a request was answered while the breakpoint held it"
    )
    stopped = len(held)
    for stop in held:
        stop.resume()
    while stopped < len(posts):  # each request stops at the breakpoint
        stop = debugger.next_stop()
        assert_at(stop, source, line)
        stopped += 1
        stop.resume()
    assert posts[b"1,2"].outcome() == (200, b"36.0,37.0")
    assert posts[b"3,4"].outcome() == (200, b"38.0,39.0")
    debugger.close()
    hold.touch()
    assert run.finish(timeout=120) == 0, run.output
    print(f"{server}: endpoint ready after {ready:.1f}s under the debugger")


def test_the_sample_as_is_train_and_serve(sample, byoc_sample_image, tmp_path, start_run):
    """fit() then deploy() of the unchanged sample (gevent workers, as many as CPUs)."""
    program = (sample / "container" / "decision_trees").resolve()
    train_line = marker_line(program / "train", "# byoc-sample train breakpoint")
    serve_line = marker_line(program / "predictor.py", FLASK[1])
    hold = tmp_path / "hold"
    run = start(start_run, sample, byoc_sample_image, hold)
    (training,) = run.wait_for(WAITING)
    assert training["role"] == "training" and AUTO_MAPPED in training.string, training.string
    assert (training["remote"], Path(training["local"])) == ("/opt/program", program)
    debugger = attach(training, {program / "train": [train_line]})
    stop = debugger.next_stop()
    assert_at(stop, program / "train", train_line)
    assert stop.locals()["numbers"]["value"].startswith("[0.0, 1.0, 2.0")
    stop.resume()

    serving = next(m for m in run.wait_for(WAITING, count=2) if m["role"] == "serving")
    run.wait_for(READY)
    debugger = attach(serving, {program / "predictor.py": [serve_line]})
    debugger.wait_for_children(os.cpu_count() or 1)  # the sample's default: a worker per CPU
    post = Post(b"1,2", send=post_csv)
    stop = debugger.next_stop()
    assert_at(stop, program / "predictor.py", serve_line)
    assert stop.locals()["numbers"]["value"] == "[1.0, 2.0]"
    stop.resume()
    assert post.outcome() == (200, b"36.0,37.0")
    debugger.close()
    hold.touch()
    assert run.finish(timeout=120) == 0, run.output
    assert not run.saw("GEVENT_SUPPORT"), "debugpy asked for gevent support: " + run.output


def test_a_pause_longer_than_nginx_allows_is_explained(
    sample, byoc_sample_image, tmp_path, start_run
):
    source = (sample / "container" / "decision_trees" / "predictor.py").resolve()
    line = marker_line(source, FLASK[1])
    hold = tmp_path / "hold"
    run = start(
        start_run,
        sample,
        byoc_sample_image,
        hold,
        "deploy",
        SERVER="gevent",
        MODEL_SERVER_WORKERS="1",
        PROXY_READ_TIMEOUT="4s",
    )
    serving = serving_target(run, sample)
    run.wait_for(READY)
    debugger = attach(serving, {source: [line]})
    debugger.wait_for_children(1)
    post = Post(b"1,2", send=post_csv)
    stop = debugger.next_stop()
    said = run.wait_for(
        re.compile(
            r"smdebug-local: serving algo-1 paused for \d+s, longer than nginx's "
            r"proxy_read_timeout \(4s in /tmp/nginx.conf\): the client of this request got "
            r"504 Gateway Time-out from nginx; raise proxy_read_timeout in that file"
        ),
        timeout=30,
    )
    assert len(said) == 1
    post.join(30)
    assert isinstance(post.error, urllib.error.HTTPError) and post.error.code == 504, post.error
    stop.resume()
    time.sleep(1)
    debugger.close()
    hold.touch()
    assert run.finish(timeout=120) == 0, run.output

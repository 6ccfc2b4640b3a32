"""Breakpoints in processing scripts (ScriptProcessor), with SDK 2.x and SDK 3.x.

Local processing uploads the script to S3 and mounts a fresh download of it; smdebug-local
maps breakpoints to the user's own folder, found by content. S3 is a local moto server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from test_watch import STILL_WATCHING, edit, interrupt

from conftest import SMDEBUG, WAITING, copy_project, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e

RERUN = re.compile(r"preprocess\.py changed: rerunning processing job (\S+) \(rerun 1\)")
RERUN_DONE = re.compile(r"rerun 1 of processing job \S+ finished in [\d.]+s; outputs: (\S+)")


@pytest.fixture
def processing(tmp_path: Path) -> Path:
    return copy_project("processing", tmp_path / "processing-project")


@pytest.mark.parametrize("sdk", ["v2", "v3"])
def test_breakpoint_in_processing_script(processing, py39_image, local_s3, start_run, sdk, request):
    """With SDK 2.x, in watch mode: then an edit reruns the job with the new code."""
    smdebug, driver = (
        (SMDEBUG, "driver.py")
        if sdk == "v2"
        else (str(request.getfixturevalue("sdk3")), "driver_v3.py")
    )
    script = processing / "processing" / "preprocess.py"
    line = marker_line(script, "# scale breakpoint")
    run = start_run(
        (["--watch"] if sdk == "v2" else []) + [driver],
        cwd=processing,
        smdebug=smdebug,
        env={"TEST_IMAGE": py39_image, **local_s3},
    )
    (match,) = run.wait_for(WAITING)
    assert match["role"] == "processing"
    # The user's folder, not the temporary download local mode mounts.
    assert (match["local"], match["remote"]) == (
        str(script.parent),
        "/opt/ml/processing/input/code",
    )
    debugger = _attach(match, script, line)
    stop = debugger.next_stop()
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (script, line)
    assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4]"
    stop.resume()
    if sdk == "v2":
        run.wait_for(STILL_WATCHING)
        debugger.close()
    else:
        assert run.finish() == 0, run.output
    assert run.saw(
        "result: {'scaled': [0, 2, 4, 6, 8], 'argv': "
        "['/opt/ml/processing/input/code/preprocess.py'], 'name': '__main__'}"
    ), run.output
    if sdk == "v2":
        _rerun_after_an_edit(run, script, local_s3)


def _attach(match, script: Path, line: int) -> Debugger:
    """A debugger attached to the waiting line's endpoint, with its mapping and a
    breakpoint at ``line`` of ``script``."""
    debugger = Debugger(
        host=match["bind"],
        port=int(match["port"]),
        path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        breakpoints={str(script): [line]},
    )
    debugger.attach()
    return debugger


def _rerun_after_an_edit(run, script: Path, local_s3: dict) -> None:
    """Watch mode: a saved edit of the script makes the processor's run() call again (the
    SDK uploads the edited script) as `<job>-rerun-1`, whose default output location is
    its own; the breakpoint hits the new code."""
    edit(
        script,
        "    factor = 2",
        "    numbers.append(5)  # added while watching\n    factor = 2",
    )
    job = run.wait_for(RERUN)[0].group(1)
    match = run.wait_for(WAITING, count=2)[1]
    assert (match["local"], match["remote"]) == (
        str(script.parent),
        "/opt/ml/processing/input/code",
    )
    line = marker_line(script, "# scale breakpoint")
    debugger = _attach(match, script, line)
    stop = debugger.next_stop()
    assert stop.frames()[0]["line"] == line
    assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4, 5]"
    stop.resume()
    debugger.close()
    outputs = run.wait_for(RERUN_DONE)[0].group(1)
    assert outputs == f"s3://smdebug-local-test/{job}-rerun-1/output/result", run.output
    s3 = boto3.client(
        "s3",
        endpoint_url=local_s3["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=local_s3["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=local_s3["AWS_SECRET_ACCESS_KEY"],
    )
    body = s3.get_object(
        Bucket="smdebug-local-test", Key=f"{job}-rerun-1/output/result/result.json"
    )
    assert json.loads(body["Body"].read())["scaled"] == [0, 2, 4, 6, 8, 10]
    assert interrupt(run) == 130


def test_framework_processors_with_source_dir_stop_in_a_helper_module(
    processing, sklearn_image, training_image, local_s3, start_run
):
    """FrameworkProcessor (scikit-learn) and PyTorchProcessor with ``source_dir``: the code
    folder holds only the uploaded ``sourcedir.tar.gz``, which the job's ``runproc.sh``
    unpacks there; the user's folder is found by the archive's contents."""
    helper = processing / "framework" / "scaling.py"
    line = marker_line(helper, "# framework helper breakpoint")
    run = start_run(
        ["driver_framework.py"],
        cwd=processing,
        env={"SKLEARN_IMAGE": sklearn_image, "PYTORCH_IMAGE": training_image, **local_s3},
    )
    for seen in range(2):
        match = run.wait_for(WAITING, count=seen + 1, timeout=300)[seen]
        assert match["role"] == "processing"
        assert (Path(match["local"]), match["remote"]) == (
            helper.parent,
            "/opt/ml/processing/input/code",
        ), match.string
        debugger = Debugger(
            host=match["bind"],
            port=int(match["port"]),
            path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
            breakpoints={str(helper): [line]},
        )
        debugger.attach()
        stop = debugger.next_stop()
        top = stop.frames()[0]
        assert (Path(top["source"]["path"]), top["line"]) == (helper, line)
        assert stop.locals()["scaled"]["value"] == "[0, 3, 6, 9, 12]"
        stop.resume()
        debugger.close()
    assert run.finish() == 0, run.output
    for name in ("sklearn", "pytorch"):
        assert run.saw(f"{name} result: {{'scaled': [0, 3, 6, 9, 12], 'python': '3.11'}}"), (
            run.output
        )

"""Breakpoints in processing scripts (ScriptProcessor), with SDK 2.x and SDK 3.x.

Local processing uploads the script to S3 and mounts a fresh download of it; smdebug-local
maps breakpoints to the user's own folder, found by content. S3 is a local moto server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SMDEBUG, WAITING, copy_project, marker_line
from dap import Debugger

pytestmark = pytest.mark.e2e


@pytest.fixture
def processing(tmp_path: Path) -> Path:
    return copy_project("processing", tmp_path / "processing-project")


@pytest.mark.parametrize("sdk", ["v2", "v3"])
def test_breakpoint_in_processing_script(processing, py39_image, local_s3, start_run, sdk, request):
    smdebug, driver = (
        (SMDEBUG, "driver.py")
        if sdk == "v2"
        else (str(request.getfixturevalue("sdk3")), "driver_v3.py")
    )
    script = processing / "processing" / "preprocess.py"
    line = marker_line(script, "# scale breakpoint")
    run = start_run(
        [driver], cwd=processing, smdebug=smdebug, env={"TEST_IMAGE": py39_image, **local_s3}
    )
    (match,) = run.wait_for(WAITING)
    assert match["role"] == "processing"
    # The user's folder, not the temporary download local mode mounts.
    assert (match["local"], match["remote"]) == (
        str(script.parent),
        "/opt/ml/processing/input/code",
    )
    debugger = Debugger(
        host=match["bind"],
        port=int(match["port"]),
        path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        breakpoints={str(script): [line]},
    )
    debugger.attach()
    stop = debugger.next_stop()
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (script, line)
    assert stop.locals()["numbers"]["value"] == "[0, 1, 2, 3, 4]"
    stop.resume()
    assert run.finish() == 0, run.output
    assert run.saw(
        "result: {'scaled': [0, 2, 4, 6, 8], 'argv': "
        "['/opt/ml/processing/input/code/preprocess.py'], 'name': '__main__'}"
    ), run.output


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

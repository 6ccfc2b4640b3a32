"""A SageMaker Pipelines pipeline run locally (``LocalPipelineSession``, SDK 2.x): its
processing, training and transform steps each stop at a breakpoint, and each container is
named by its step -- in its waiting line, in the state file and in ``status``.

Local processing goes through S3 (a local moto server); training reads the processing
step's output from there; the transform step scores with the trained model.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import SMDEBUG, WAITING, Run, copy_project, marker_line, our_containers
from dap import Debugger

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project("pipeline", tmp_path / "pipeline-project")


def next_waiting(run: Run, seen: int, timeout: float = 300):
    """The waiting line after the first ``seen`` ones (each step's container prints one)."""
    return run.wait_for(WAITING, timeout=timeout, count=seen + 1)[seen]


def status_of(project: Path) -> tuple[dict, str]:
    """The state file and the ``status`` table while the run goes on."""
    doc = json.loads((project / ".smdebug-local" / "state.json").read_text())
    table = subprocess.run(
        [SMDEBUG, "status"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    return doc, table


def stop_once(match, source: Path, marker: str, local: str) -> str:
    """Attach, stop at ``marker`` in ``source``, read ``local``, continue; its value."""
    line = marker_line(source, marker)
    debugger = Debugger(
        host=match["bind"],
        port=int(match["port"]),
        path_mappings=[{"localRoot": match["local"], "remoteRoot": match["remote"]}],
        breakpoints={str(source): [line]},
    )
    debugger.attach()
    stop = debugger.next_stop(timeout=300)
    top = stop.frames()[0]
    assert (Path(top["source"]["path"]), top["line"]) == (source, line)
    value = stop.locals()[local]["value"]
    stop.resume(wait=False)  # the job may end (and its container go) before debugpy answers
    debugger.close()
    return value


def test_each_step_of_a_local_pipeline_stops_and_is_named_by_its_step(
    project, py39_image, training_image, serving_image, local_s3, start_run
):
    earlier = set(our_containers())  # another test's leak is reported by that test
    run = start_run(
        ["--wait", "driver.py"],
        cwd=project,
        env={
            "PROCESSING_IMAGE": py39_image,
            "TRAINING_IMAGE": training_image,
            "SERVING_IMAGE": serving_image,
            **local_s3,
        },
    )
    steps = [
        ("processing", "Prepare", project / "code" / "prepare.py", "# prepare breakpoint"),
        ("training", "Train", project / "src" / "train.py", "# train breakpoint"),
        ("serving", "Score", project / "src" / "inference.py", "# score breakpoint"),
    ]
    values = {}
    for seen, (role, step, source, marker) in enumerate(steps):
        match = next_waiting(run, seen)
        assert (match["role"], match["step"]) == (role, step), run.output
        assert f"(step {step})" in match[0] or f", step {step})" in match[0]
        doc, table = status_of(project)
        (entry,) = [
            t for t in doc["targets"] if t["endpoints"] == [f"{match['bind']}:{match['port']}"]
        ]
        assert (entry["role"], entry["step"]) == (role, step)
        header, *rows = table.splitlines()[1:]
        assert header.split()[:4] == ["ROLE", "HOST", "STEP", "JOB"], table
        assert any(r.split()[:3] == [role, "algo-1", step] for r in rows), table
        values[step] = stop_once(
            match,
            source,
            marker,
            {"Prepare": "numbers", "Train": "values", "Score": "records"}[step],
        )
    assert values == {
        "Prepare": "[0, 1, 2, 3, 4]",
        "Train": "[0, 2, 4, 6, 8]",
        "Score": "[1, 2, 3]",
    }
    assert run.finish(timeout=300) == 0, run.output
    # ModelStep names its sub-step "<name>-CreateModel".
    assert run.saw(
        'pipeline: Succeeded {"CreateModel-CreateModel": "Succeeded", "Prepare": "Succeeded", '
        '"Score": "Succeeded", "Train": "Succeeded"}'
    ), run.output
    assert run.saw("score: [4.0, 8.0, 12.0]"), run.output
    assert not set(our_containers()) - earlier

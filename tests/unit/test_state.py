"""The state file: what a run can be debugged at, written atomically, removed at the end."""

from __future__ import annotations

import json

import pytest

from smdebug_local import state
from smdebug_local.compose import DebugTarget
from smdebug_local.errors import SmdebugError
from smdebug_local.sdk import ComposeRequest


def test_session_writes_every_target_and_removes_only_its_own_file(sdk_training_compose, tmp_path):
    from test_sdk_compose_file import session

    s = session(workspace=tmp_path)
    s.on_compose(ComposeRequest("training", "img", sdk_training_compose))
    doc = json.loads((tmp_path / ".smdebug-local" / "state.json").read_text())
    assert (tmp_path / ".smdebug-local" / ".gitignore").read_text() == "*\n"
    assert doc["run"] == s.run_id and doc["version"] == 1
    assert [(t["role"], t["host"], t["endpoints"], t["job"]) for t in doc["targets"]] == [
        ("training", "algo-1", ["127.0.0.1:5678"], "job-1"),
        ("training", "algo-2", ["127.0.0.1:5680"], "job-1"),
    ]
    assert doc["targets"][0]["pathMappings"][0]["remoteRoot"] == "/opt/ml/code"
    assert (
        doc["targets"][0]["container"]
        == sdk_training_compose["services"]["algo-1-ab1cd"]["container_name"]
    )
    state.remove(tmp_path, "another-run")
    assert state.read(tmp_path) == doc
    state.remove(tmp_path, s.run_id)
    assert state.read(tmp_path) is None


def test_rows_show_where_to_attach_and_live_status():
    target = DebugTarget(
        role="serving",
        service="algo-1-abcde",
        host_ports=(5679, 5680),
        mappings=(("/src", "/opt/ml/model/code"),),
    )
    doc = state.document("r1", 1, "deploy.py", [state.target_entry(target, {})])
    rows = state.rows(doc, {"algo-1-abcde": "running"})
    assert rows[1] == [
        "serving",
        "algo-1",
        "algo-1-abcde",
        "127.0.0.1:5679, 127.0.0.1:5680",
        "/src -> /opt/ml/model/code",
        "running",
    ]
    assert state.rows(doc, {})[1][-1] == "gone"
    text = state.table(rows)
    assert text.splitlines()[0].split() == ["ROLE", "HOST", "JOB", "ATTACH", "MAPPING", "STATUS"]


def test_a_pipeline_run_lists_each_containers_step():
    """A local pipeline's containers say which step they are for (a STEP column); other
    runs' tables keep their columns."""
    train = DebugTarget(role="training", service="algo-1-abcde", host_ports=(5678,), step="Train")
    score = DebugTarget(role="serving", service="algo-1-fghij", host_ports=(5679,), step="Score")
    entries = [state.target_entry(t, {}) for t in (train, score)]
    assert [e["step"] for e in entries] == ["Train", "Score"]
    doc = state.document("r1", 1, "pipeline.py", entries)
    rows = state.rows(doc, {"algo-1-abcde": "running"})
    assert rows[0] == ["ROLE", "HOST", "STEP", "JOB", "ATTACH", "MAPPING", "STATUS"]
    assert [r[:4] for r in rows[1:]] == [
        ["training", "algo-1", "Train", "algo-1-abcde"],
        ["serving", "algo-1", "Score", "algo-1-fghij"],
    ]
    assert state.target_entry(DebugTarget("training", "algo-1-x", (5678,)), {})["step"] is None


def test_a_distributed_host_lists_a_rank_per_endpoint():
    target = DebugTarget(
        role="training",
        service="algo-2-abcde",
        host_ports=(5680, 5681),
        mappings=(("/src", "/opt/ml/code"),),
        slot_ranks=(2, 3),
    )
    entry = state.target_entry(target, {"environment": ["TRAINING_JOB_NAME=job-1"]})
    assert entry["ranks"] == [2, 3] and len(entry["endpoints"]) == 2
    doc = state.document("r1", 1, "train.py", [entry])
    assert [r[1:4] for r in state.rows(doc, {})[1:]] == [
        ["algo-2 rank 2", "job-1", "127.0.0.1:5680"],
        ["algo-2 rank 3", "job-1", "127.0.0.1:5681"],
    ]


def test_a_corrupt_file_is_named_with_the_fix(tmp_path):
    (tmp_path / ".smdebug-local").mkdir()
    (tmp_path / ".smdebug-local" / "state.json").write_text("{not json")
    with pytest.raises(SmdebugError, match=r"state\.json cannot be read .*delete it"):
        state.read(tmp_path)

"""The state file: what a run can be debugged at, written atomically, removed at the end."""

from __future__ import annotations

import errno
import json
import os

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


def entry(service: str = "algo-1-abcde") -> dict:
    return state.target_entry(DebugTarget("training", service, (5678,)), {})


def test_a_second_run_in_the_workspace_gets_its_own_file_and_says_so(tmp_path):
    notes: list[str] = []
    first = state.RunState(tmp_path, "run-1", notes.append)
    first.add_entry(entry())
    first.save("train.py")
    second = state.RunState(tmp_path, "run-2", notes.append)
    second.add_entry(entry("algo-1-fghij"))
    second.save("deploy.py")
    assert first.path == state.state_path(tmp_path)
    assert second.path == tmp_path / ".smdebug-local" / "state-run-2.json"
    assert notes == [
        f"another run is going on in this workspace (pid {os.getpid()}, train.py): this run's "
        f"debug targets are listed in {second.path}; `smdebug-local status` shows both runs"
    ]
    # Each file stays its run's, through further saves and the first run's end.
    first.save("train.py")
    second.save("deploy.py")
    assert [doc["run"] for _, doc in state.runs(tmp_path)] == ["run-1", "run-2"]
    first.close()
    assert [doc["run"] for _, doc in state.runs(tmp_path)] == ["run-2"]
    second.close()
    assert state.runs(tmp_path) == []


def test_a_killed_runs_file_is_taken_over(tmp_path):
    state.write(tmp_path, state.document("dead", 2**22 + 12345, "train.py", [entry()]))
    run = state.RunState(tmp_path, "run-2", lambda note: pytest.fail(note))
    run.add_entry(entry())
    run.save("train.py")
    assert run.path == state.state_path(tmp_path)
    assert state.read(tmp_path)["run"] == "run-2"


def test_another_machines_run_is_never_judged_stale():
    doc = state.document("r", 2**22 + 12345, "t.py", [], host="another-machine")
    assert not state.is_stale(doc)
    assert state.is_stale({**doc, "host": state.socket.gethostname()})
    assert not state.is_stale({**doc, "host": state.socket.gethostname(), "pid": os.getpid()})


def test_another_users_file_is_neither_read_nor_replaced(tmp_path, monkeypatch):
    theirs = state.write(tmp_path, state.document("theirs", os.getpid(), "t.py", [entry()]))
    monkeypatch.setattr(state, "owned", lambda path: path != theirs)
    assert state.state_files(tmp_path) == [] and state.runs(tmp_path) == []
    run = state.RunState(tmp_path, "mine", lambda note: pytest.fail(note))
    run.add_entry(entry())
    run.save("train.py")
    assert run.path == tmp_path / ".smdebug-local" / "state-mine.json"
    assert json.loads(theirs.read_text())["run"] == "theirs"


def test_a_full_disk_is_one_line_and_the_run_goes_on(tmp_path, monkeypatch):
    notes: list[str] = []

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(state, "write_atomic", full)
    run = state.RunState(tmp_path, "run-1", notes.append)
    run.add_entry(entry())
    run.save("train.py")  # no exception
    assert notes == [
        f"cannot write {state.state_path(tmp_path)} (No space left on device); the run goes on, "
        "but smdebug-local status and the VS Code extension will not see it; free space on (or "
        "make writable) the workspace's .smdebug-local folder"
    ]
    monkeypatch.undo()
    run.save("train.py")  # space again: the file is written
    assert state.read(tmp_path)["run"] == "run-1"


class Containers:
    """Docker, as far as earlier_runs asks it: containers by run label."""

    def __init__(self, by_run: dict[str, list[str]]) -> None:
        self.by_run = by_run
        self.removed: list[str] = []

    def containers(self, label, value=None):
        return self.by_run.get(value, [])

    def remove_containers(self, found):
        self.removed += found
        return len(found)


def test_the_next_run_removes_what_a_killed_run_left_and_says_so(tmp_path):
    from smdebug_local import clean

    state.write(tmp_path, state.document("dead", 2**22 + 12345, "train.py", [entry()]))
    live = state.run_state_path(tmp_path, "live")
    state.write(tmp_path, state.document("live", os.getpid(), "deploy.py", [entry()]), live)
    engine = Containers({"dead": ["c1", "c2"], "live": ["c3"]})
    said: list[str] = []
    clean.earlier_runs(engine, tmp_path, said.append)
    assert engine.removed == ["c1", "c2"]
    assert said == [
        "removed 2 container(s) left by an earlier run in this workspace (pid 4206649, "
        "train.py), whose process was killed; they held its debug ports and data mounts; this "
        "run goes on"
    ]
    assert [doc["run"] for _, doc in state.runs(tmp_path)] == ["live"]


def test_a_connect_back_target_names_its_debugger():
    """The extension listens (debugpy's adapter) only for debugpy's connect-back targets: a
    `--ide pycharm` run's containers connect to PyCharm's Debug Server."""
    pycharm = DebugTarget(
        "training",
        "algo-1-x",
        (),
        connect=("host.docker.internal", 5690),
        debugger="pydevd-pycharm",
    )
    entry = state.target_entry(pycharm, {})
    assert (entry["connect"], entry["debugger"]) == ("host.docker.internal:5690", "pydevd-pycharm")
    assert state.target_entry(DebugTarget("training", "algo-1-x", (5678,)), {})["debugger"] == (
        "debugpy"
    )

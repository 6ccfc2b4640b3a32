"""VS Code files: comment-preserving merge, ownership, schema validity, bad files left alone."""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.ide import jsonc, vscode

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "debugpy-attach-schema.json").read_text())
# Keys every VS Code launch configuration may carry besides the debugger's own (see the
# schema file's source): the attach schema lists only debugpy's properties.
COMMON_KEYS = {
    "name",
    "type",
    "request",
    "preLaunchTask",
    "postDebugTask",
    "presentation",
    "internalConsoleOptions",
    "debugServer",
    "suppressMultipleSessionWarning",
}
LAYOUT = vscode.Layout(script="train_local.py", source_dir="src", serving_workers=2)

# What VS Code's tasks.json and launch.json schemas allow in what we write (the properties
# of a task, its problem matcher and a compound, from VS Code's jsonSchema for tasks 2.0.0
# and for launch.json compounds); anything else shows as "Property X is not allowed".
_PATTERN = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        k: {"type": "integer"}
        for k in (
            "file",
            "location",
            "line",
            "column",
            "endLine",
            "endColumn",
            "severity",
            "code",
            "message",
            "kind",
        )
    }
    | {"regexp": {"type": "string"}, "loop": {"type": "boolean"}},
}
_BACKGROUND = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "activeOnStart": {"type": "boolean"},
        "beginsPattern": {"type": "string"},
        "endsPattern": {"type": "string"},
    },
    "required": ["beginsPattern", "endsPattern"],
}
_MATCHER = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "base": {"type": "string"},
        "owner": {"type": "string"},
        "source": {"type": "string"},
        "severity": {"enum": ["error", "warning", "info"]},
        "applyTo": {"type": "string"},
        "fileLocation": {"type": ["string", "array"]},
        "pattern": _PATTERN,
        "background": _BACKGROUND,
        "watching": _BACKGROUND,
    },
}
TASK_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string"},
        "type": {"enum": ["shell", "process"]},
        "command": {"type": "string"},
        "args": {"type": "array"},
        "isBackground": {"type": "boolean"},
        "problemMatcher": _MATCHER,
        "options": {"type": "object"},
        "presentation": {"type": "object"},
        "group": {},
        "dependsOn": {},
        "detail": {"type": "string"},
        "runOptions": {"type": "object"},
    },
    "required": ["label", "type", "command"],
}
COMPOUND_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "configurations": {"type": "array"},
        "preLaunchTask": {"type": "string"},
        "stopAll": {"type": "boolean"},
        "presentation": {"type": "object"},
    },
    "required": ["name", "configurations"],
}

USER_LAUNCH = """{
    // My own launch configurations -- keep this comment!
    "version": "0.2.0",
    "configurations": [
        {
            "name": "Python: current file",  /* inline comment */
            "type": "debugpy",
            "request": "launch",
            "program": "${file}",
        },
    ],
}
"""


def strict_schema() -> dict:
    schema = dict(SCHEMA["attach"])
    schema["additionalProperties"] = False
    return schema


def test_every_generated_attach_config_validates_against_the_debugpy_schema():
    configs, _ = vscode.launch_entries(LAYOUT)
    assert len(configs) == 3
    for config in configs:
        assert config["type"] == "debugpy" and config["request"] == "attach"
        own = {k: v for k, v in config.items() if k not in COMMON_KEYS}
        jsonschema.validate(own, strict_schema())
        assert set(config) - set(own) <= COMMON_KEYS


def test_schema_check_is_not_vacuous():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"connect": {"port": 1}, "pathMapping": []}, strict_schema())


def test_ports_and_mappings_follow_the_allocation_order():
    configs, (compound,) = vscode.launch_entries(LAYOUT)
    assert [(c["connect"]["port"], c["pathMappings"][0]["remoteRoot"]) for c in configs] == [
        (5678, "/opt/ml/code"),
        (5679, "/opt/ml/model/code"),
        (5680, "/opt/ml/model/code"),
    ]
    assert all(c["pathMappings"][0]["localRoot"] == "${workspaceFolder}/src" for c in configs)
    assert [c.get("preLaunchTask") for c in configs] == [vscode.TASK_LABEL, None, None]
    # Serving containers exist only once the driver deploys: never attached at F5.
    assert compound == {
        "name": "smdebug-local: serving (all workers)",
        "configurations": [c["name"] for c in configs[1:]],
        "presentation": {"group": vscode.GROUP},
    }


def test_no_compound_attaches_serving_at_f5():
    for workers in (0, 1, 3):
        for hosts in (1, 2):
            layout = vscode.Layout("d.py", "src", serving_workers=workers, training_hosts=hosts)
            configs, compounds = vscode.launch_entries(layout)
            serving = {c["name"] for c in configs if "serving" in c["name"]}
            for compound in compounds:
                members = set(compound["configurations"])
                # A compound with serving members runs no task and holds no training one.
                assert not (members & serving) or (
                    "preLaunchTask" not in compound and members <= serving
                ), compound


def test_a_runs_real_ports_are_used_when_given():
    layout = vscode.Layout(
        script="d.py", source_dir="src", training_ports=(5690,), serving_ports=(5700, 5702)
    )
    configs, (_serving,) = vscode.launch_entries(layout)
    assert [c["connect"]["port"] for c in configs] == [5690, 5700, 5702]
    serving_only = vscode.Layout(
        script="d.py", source_dir="src", training_ports=(), serving_ports=(5679,)
    )
    configs, _ = vscode.launch_entries(serving_only)
    assert [c["name"] for c in configs] == ["smdebug-local: serving worker 1"]


def test_a_runs_layout_comes_from_its_targets(tmp_path):
    from smdebug_local.compose import DebugTarget

    src = str(tmp_path / "src")
    targets = [
        DebugTarget(
            role="training",
            service="algo-1-a",
            host_ports=(5679,),
            mappings=((src, "/opt/ml/code"),),
        ),
        DebugTarget(
            role="serving",
            service="algo-1-b",
            host_ports=(5680, 5681),
            mappings=((src, "/opt/ml/model/code"), (src, "/opt/ml/code")),
        ),
    ]
    assert vscode.run_layout([], tmp_path, "d.py", 5678, False, False) is None
    layout = vscode.run_layout(targets, tmp_path, str(tmp_path / "d.py"), 5678, False, False)
    # The task pins the ports this run really has (it moved on from 5678).
    assert (
        layout.script,
        layout.source_dir,
        layout.training_ports,
        layout.serving_ports,
        layout.run_args,
    ) == ("d.py", "src", (5679,), (5680, 5681), ("--ide", "vscode", "--port", "5679"))
    with pytest.raises(SmdebugError, match="outside the workspace"):
        vscode.run_layout(targets, tmp_path / "elsewhere", "d.py", 5678, False, False)
    # The serving configurations map to where the workers import the code from: the
    # target's first mapping (scikit-learn/XGBoost serving: /opt/ml/code).
    configs, _ = vscode.launch_entries(layout)
    assert {c["pathMappings"][0]["remoteRoot"] for c in configs if "serving" in c["name"]} == {
        "/opt/ml/model/code"
    }
    sklearn = [targets[0], dataclasses.replace(targets[1], mappings=targets[1].mappings[::-1])]
    layout = vscode.run_layout(sklearn, tmp_path, str(tmp_path / "d.py"), 5678, False, False)
    configs, _ = vscode.launch_entries(layout)
    assert {c["pathMappings"][0]["remoteRoot"] for c in configs if "serving" in c["name"]} == {
        "/opt/ml/code"
    }


def test_one_config_and_port_per_training_host():
    layout = vscode.Layout(
        "d.py",
        "src",
        serving_workers=1,
        training_hosts=2,
        training_code_dir="/opt/ml/input/data/code",
    )
    configs, compounds = vscode.launch_entries(layout)
    assert [
        (c["name"], c["connect"]["port"], c["pathMappings"][0]["remoteRoot"]) for c in configs
    ] == [
        ("smdebug-local: training algo-1", 5678, "/opt/ml/input/data/code"),
        ("smdebug-local: training algo-2", 5679, "/opt/ml/input/data/code"),
        ("smdebug-local: serving worker 1", 5680, "/opt/ml/model/code"),
    ]
    assert [c.get("preLaunchTask") for c in configs] == [vscode.TASK_LABEL, None, None]
    # The compound runs the task before it starts any member: algo-2 is not attached
    # before its container exists (members alone would all start at F5).
    (compound,) = compounds
    assert (compound["name"], compound["configurations"], compound["preLaunchTask"]) == (
        "smdebug-local: training (all hosts)",
        [c["name"] for c in configs[:2]],
        vscode.TASK_LABEL,
    )
    jsonschema.validate(compound, COMPOUND_SCHEMA)
    for config in configs:
        jsonschema.validate(
            {k: v for k, v in config.items() if k not in COMMON_KEYS}, strict_schema()
        )


def test_task_ends_on_the_ready_line_the_bootstrap_prints():
    (task,) = vscode.task_entries(vscode.Layout("d.py", "src", run_args=("--no-wait",)))
    assert task["isBackground"]
    ends = re.compile(task["problemMatcher"]["background"]["endsPattern"])
    assert ends.search(
        "algo-1-x | smdebug-local: training algo-1 waiting for debugger on "
        "127.0.0.1:5678 (/src -> /opt/ml/code)"
    )
    assert ends.search(
        "smdebug-local: serving algo-1 debugger listening on 127.0.0.1:5679 "
        "(/src -> /opt/ml/model/code) (not waiting)"
    )
    assert ends.search(
        "smdebug-local: training algo-1 rank 1/2 waiting for debugger on 127.0.0.1:5679 "
        "(/src -> /opt/ml/code)"
    )
    assert ends.search(
        "smdebug-local: serving algo-1 worker 2 (MMS) debugger listening on 127.0.0.1:5679 "
        "(/src -> /opt/ml/model/code) (not waiting)"
    )
    assert ends.search(
        "smdebug-local: training algo-1 rank 1/2 (PyTorch) waiting for debugger on "
        "127.0.0.1:5679 (/src -> /opt/ml/code)"
    )
    assert ends.search(
        "smdebug-local: training algo-2 worker 0 (TensorFlow) waiting for debugger on "
        "127.0.0.1:5679 (/src -> /opt/ml/code)"
    )
    assert ends.search("smdebug-local: training algo-1 chief (TensorFlow) waiting for debugger on ")
    # A local pipeline's step shares the parenthesis (tasks written earlier still match).
    assert ends.search(
        "smdebug-local: training algo-1 (step Train) waiting for debugger on "
        "127.0.0.1:5678 (/src -> /opt/ml/code)"
    )
    assert ends.search(
        "smdebug-local: serving algo-1 worker 1 (TorchServe, step Score) waiting for debugger "
        "on 127.0.0.1:5679 (/src -> /opt/ml/code)"
    )
    assert not ends.search("smdebug-local: preparing debugpy 1.8.22")
    # VS Code looks for no problem in a line that ends background activity: the error line
    # must not end it (the run exits right after it, which ends the wait).
    assert not ends.search("smdebug-local: error: debug port 5678 on 127.0.0.1 is already in use")


def test_task_is_valid_in_vscodes_eyes_active_from_the_start_and_records_errors():
    (task,) = vscode.task_entries(LAYOUT)
    jsonschema.validate(task, TASK_SCHEMA)
    matcher = task["problemMatcher"]
    assert matcher["background"]["activeOnStart"] is True
    old = {
        **task,
        "problemMatcher": {
            **matcher,
            "background": {"activeBegin": True, "beginsPattern": "x", "endsPattern": "y"},
        },
    }
    with pytest.raises(jsonschema.ValidationError, match="'activeBegin' was unexpected"):
        jsonschema.validate(old, TASK_SCHEMA)  # what VS Code flagged in the old file
    pattern = re.compile(matcher["pattern"]["regexp"])
    found = pattern.search(
        "smdebug-local: error: debug port 5679 on 127.0.0.1 is already in "
        "use; free it or choose another with --port"
    )
    assert found[matcher["pattern"]["file"]] == "smdebug-local"
    assert found[matcher["pattern"]["message"]].startswith("debug port 5679")
    assert matcher["severity"] == "error"
    for line in (
        "algo-1-x | smdebug-local: training algo-1 waiting for debugger on "
        "127.0.0.1:5678 (/src -> /opt/ml/code)",
        "smdebug-local: interrupted; removing containers",
        "pytorch-training-x | error: something",
    ):
        assert not pattern.search(line)
    # Active again only for a watch-mode rerun, so a later attach waits for its container;
    # no other line of the run makes VS Code think the task is busy again.
    begins = re.compile(matcher["background"]["beginsPattern"])
    assert begins.search(
        "smdebug-local: train.py changed: rerunning training job pytorch-training-1 (rerun 1)"
    )
    assert not begins.search("smdebug-local: training algo-1 debugger attached")


def test_task_runs_this_interpreter_with_the_pinned_port(tmp_path):
    layout = vscode.Layout(
        "my driver.py", "src", run_args=("--port", "6000"), python="/opt/my venv/bin/python"
    )
    (task,) = vscode.task_entries(layout)
    assert (
        task["command"] == "'/opt/my venv/bin/python' -m smdebug_local run --port 6000 "
        "'my driver.py'"
    )
    assert vscode.Layout("d.py", "src").python == sys.executable


def test_init_vscode_writes_the_port_and_interpreter_into_the_task(tmp_path):
    from click.testing import CliRunner

    from smdebug_local.cli import main

    (tmp_path / "src").mkdir()
    (tmp_path / "driver.py").write_text("")
    for args, port in (([], "5678"), (["--port", "6100"], "6100")):
        result = CliRunner().invoke(
            main, ["init", "vscode", "--script", "driver.py", "--workspace", str(tmp_path), *args]
        )
        assert result.exit_code == 0, result.output
        tasks = jsonc.parse((tmp_path / ".vscode" / "tasks.json").read_text()).to_python()
        (task,) = tasks["tasks"]
        assert shlex.split(task["command"]) == [
            sys.executable,
            "-m",
            "smdebug_local",
            "run",
            "--port",
            port,
            "driver.py",
        ]
        launch = jsonc.parse((tmp_path / ".vscode" / "launch.json").read_text()).to_python()
        assert launch["configurations"][0]["connect"]["port"] == int(port)


def test_python_dash_m_smdebug_local_is_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "smdebug_local", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: smdebug-local run ")


def test_merge_keeps_comments_trailing_commas_and_user_entries(tmp_path):
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "launch.json").write_text(USER_LAUNCH)
    written = vscode.init(tmp_path, LAYOUT)
    text = written[0].read_text()
    assert "// My own launch configurations -- keep this comment!" in text
    assert "/* inline comment */" in text
    assert text.startswith(USER_LAUNCH[: USER_LAUNCH.index('"program"')])  # untouched prefix
    data = jsonc.parse(text).to_python()
    names = [c["name"] for c in data["configurations"]]
    assert names[0] == "Python: current file" and len(names) == 4
    assert [c["name"] for c in data["compounds"]] == ["smdebug-local: serving (all workers)"]
    tasks = jsonc.parse(written[1].read_text()).to_python()
    assert [t["label"] for t in tasks["tasks"]] == [vscode.TASK_LABEL]


def test_rerun_replaces_only_our_entries_and_is_stable(tmp_path):
    vscode.init(tmp_path, LAYOUT)
    launch = tmp_path / ".vscode" / "launch.json"
    first = launch.read_text()
    vscode.init(tmp_path, LAYOUT)
    assert launch.read_text() == first  # idempotent
    vscode.init(tmp_path, vscode.Layout("train_local.py", "code", port=6000))
    data = jsonc.parse(launch.read_text()).to_python()
    assert [c["connect"]["port"] for c in data["configurations"]] == [6000, 6001]
    assert data["configurations"][0]["pathMappings"][0]["localRoot"] == "${workspaceFolder}/code"


def test_unparsable_file_is_left_untouched_with_one_clear_error(tmp_path):
    (tmp_path / ".vscode").mkdir()
    broken = '{ "configurations": [ { "name": "x" ]\n'
    (tmp_path / ".vscode" / "launch.json").write_text(broken)
    with pytest.raises(
        SmdebugError,
        match=r"launch.json is not valid JSON with comments .*"
        r"it was not changed",
    ):
        vscode.init(tmp_path, LAYOUT)
    assert (tmp_path / ".vscode" / "launch.json").read_text() == broken
    assert not (tmp_path / ".vscode" / "tasks.json").exists()  # nothing written at all


def test_missing_keys_and_empty_arrays():
    text = vscode.merge(
        '{"version": "0.2.0"}', "configurations", [{"a": 1}], lambda e: False, Path("launch.json")
    )
    assert jsonc.parse(text).to_python() == {"version": "0.2.0", "configurations": [{"a": 1}]}
    text = vscode.merge("{}", "tasks", [{"label": "x"}], lambda e: False, Path("t.json"))
    assert jsonc.parse(text).to_python() == {"tasks": [{"label": "x"}]}


@pytest.mark.parametrize("text", ["[1,, 2]", '{"a" 1}', "{} extra", '{"a": tru}', "/* open"])
def test_jsonc_rejects_garbage(text):
    with pytest.raises(jsonc.JsoncError):
        jsonc.parse(text)


def test_jsonc_reads_what_vscode_accepts():
    text = '// c\n{"a": [1, 2,], /* b */ "s": "x // not a comment", "n": null,}'
    assert jsonc.parse(text).to_python() == {"a": [1, 2], "s": "x // not a comment", "n": None}


def test_connect_mode_writes_one_listen_config_with_restart_and_says_why(tmp_path):
    layout = vscode.Layout(
        "d.py",
        "src",
        port=6000,
        mode="connect",
        listen_host="172.17.0.1",
        run_args=("--mode", "connect", "--port", "6000"),
    )
    configs, compounds = vscode.launch_entries(layout)
    (config,) = configs
    assert compounds == [] and "pathMappings" not in config  # containers map paths
    assert config["listen"] == {"host": "172.17.0.1", "port": 6000}
    # "restart" is the one key the published schema lacks; everything else validates.
    own = {k: v for k, v in config.items() if k not in COMMON_KEYS | {"restart"}}
    jsonschema.validate(own, strict_schema())
    assert config["restart"] is True and "restart" not in SCHEMA["attach"]["properties"]
    vscode.init(tmp_path, layout)
    text = (tmp_path / ".vscode" / "launch.json").read_text()
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if '"restart": true' in ln)
    assert (
        lines[at - 1]
        .strip()
        .startswith(
            "// restart: listen again after each run. VS Code "
            'says "Property restart is not allowed"'
        )
    )
    assert jsonc.parse(text).to_python()["configurations"][0]["restart"] is True
    vscode.init(tmp_path, layout)  # rerun: same text, comment not duplicated
    assert (tmp_path / ".vscode" / "launch.json").read_text() == text
    (task,) = vscode.task_entries(layout)
    assert shlex.split(task["command"])[3:] == [
        "run",
        "--mode",
        "connect",
        "--port",
        "6000",
        "d.py",
    ]
    assert re.search(
        task["problemMatcher"]["background"]["endsPattern"],
        "smdebug-local: training algo-1 connecting to debugger at "
        "host.docker.internal:6000 (/src -> /opt/ml/code)",
    )


def test_a_distributed_job_gets_a_configuration_per_rank_and_an_all_ranks_compound():
    layout = vscode.Layout("d.py", "src", port=6000, training_hosts=2, ranks_per_host=2)
    configs, compounds = vscode.launch_entries(layout)
    training = [c for c in configs if "training" in c["name"]]
    assert [(c["name"], c["connect"]["port"]) for c in training] == [
        ("smdebug-local: training algo-1 rank 0", 6000),
        ("smdebug-local: training algo-1 rank 1", 6001),
        ("smdebug-local: training algo-2 rank 2", 6002),
        ("smdebug-local: training algo-2 rank 3", 6003),
    ]
    assert training[0]["preLaunchTask"] == vscode.TASK_LABEL
    serving = [c for c in configs if "serving" in c["name"]]
    assert serving[0]["connect"]["port"] == 6004
    (compound,) = [c for c in compounds if "training" in c["name"]]
    assert compound["name"] == "smdebug-local: training (all ranks)"
    assert compound["configurations"] == [c["name"] for c in training]


def test_a_run_with_ranks_names_every_port_it_got():
    from smdebug_local.compose import DebugTarget

    targets = [
        DebugTarget(
            role="training",
            service=f"algo-{h}-ab1cd",
            host_ports=ports,
            mappings=(("/w/src", "/opt/ml/code"),),
        )
        for h, ports in ((1, (5678, 5679)), (2, (5681, 5682)))
    ]
    layout = vscode.run_layout(targets, Path("/w"), "/w/d.py", 5678, False, False)
    configs, _ = vscode.launch_entries(layout)
    assert [c["connect"]["port"] for c in configs if "training" in c["name"]] == [
        5678,
        5679,
        5681,
        5682,
    ]
    assert layout.ranks_per_host == 2
    assert [c["name"] for c in configs if "training" in c["name"]][:2] == [
        "smdebug-local: training algo-1 process 1",  # no ranks known: by start order
        "smdebug-local: training algo-1 process 2",
    ]


def test_a_runs_configurations_name_the_rank_each_port_is_for():
    from smdebug_local.compose import DebugTarget

    # --ranks 0,3 on 2 hosts x 2 ranks: algo-1 debugs rank 0, algo-2 rank 3.
    targets = [
        DebugTarget(
            role="training",
            service=f"algo-{h}-ab1cd",
            host_ports=(port,),
            mappings=(("/w/src", "/opt/ml/code"),),
            slot_ranks=(rank,),
        )
        for h, port, rank in ((1, 5678, 0), (2, 5679, 3))
    ]
    layout = vscode.run_layout(targets, Path("/w"), "/w/d.py", 5678, False, False)
    configs, _ = vscode.launch_entries(layout)
    assert [(c["name"], c["connect"]["port"]) for c in configs] == [
        ("smdebug-local: training algo-1 rank 0", 5678),
        ("smdebug-local: training algo-2 rank 3", 5679),
    ]


def test_the_driver_configuration_starts_the_run_and_the_containers_take_the_next_ports():
    layout = vscode.Layout("d.py", "src", training_hosts=2, serving_workers=1, driver=True)
    configs, compounds = vscode.launch_entries(layout)
    assert [(c["name"], c["connect"]["port"]) for c in configs] == [
        ("smdebug-local: driver", 5678),
        ("smdebug-local: training algo-1", 5679),
        ("smdebug-local: training algo-2", 5680),
        ("smdebug-local: serving worker 1", 5681),
    ]
    driver = configs[0]
    assert "pathMappings" not in driver  # its code is on this machine
    jsonschema.validate({k: v for k, v in driver.items() if k not in COMMON_KEYS}, strict_schema())
    # Only the driver runs the task: its line is the first ready line, before any container.
    assert [c["name"] for c in configs if "preLaunchTask" in c] == ["smdebug-local: driver"]
    assert all("preLaunchTask" not in c for c in compounds)


def test_the_driver_waiting_line_ends_the_tasks_wait():
    from smdebug_local.driver import DriverTarget

    (task,) = vscode.task_entries(vscode.Layout("d.py", "src", driver=True))
    ends = re.compile(task["problemMatcher"]["background"]["endsPattern"])
    for wait in (True, False):
        assert ends.search("smdebug-local: " + DriverTarget("127.0.0.1", 5678, wait, 42).line())


def test_a_run_with_only_the_driver_listening_gets_its_configuration(tmp_path):
    script = tmp_path / "app" / "serve.py"
    layout = vscode.run_layout([], tmp_path, str(script), 5678, False, False, driver_port=5690)
    assert layout is not None
    assert (layout.source_dir, layout.port, layout.driver_port) == ("app", 5690, 5690)
    assert "--debug-driver" in layout.run_args and layout.run_args[-1] == "5690"
    configs, _ = vscode.launch_entries(layout)
    assert [(c["name"], c["connect"]["port"]) for c in configs] == [("smdebug-local: driver", 5690)]
    assert vscode.run_layout([], tmp_path, str(script), 5678, False, False) is None


def test_init_vscode_debug_driver(tmp_path):
    from click.testing import CliRunner

    from smdebug_local.cli import main

    (tmp_path / "src").mkdir()
    (tmp_path / "driver.py").write_text("")
    args = ["init", "vscode", "--script", "driver.py", "--workspace", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--debug-driver"])
    assert result.exit_code == 0, result.output
    (task,) = jsonc.parse((tmp_path / ".vscode" / "tasks.json").read_text()).to_python()["tasks"]
    assert shlex.split(task["command"])[4:] == ["--debug-driver", "--port", "5678", "driver.py"]
    launch = jsonc.parse((tmp_path / ".vscode" / "launch.json").read_text()).to_python()
    assert launch["configurations"][0]["name"] == "smdebug-local: driver"
    refused = CliRunner().invoke(main, [*args, "--debug-driver", "--mode", "connect"])
    assert refused.exit_code != 0 and "--debug-driver" in refused.output

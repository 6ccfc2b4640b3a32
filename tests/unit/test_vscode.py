"""VS Code files: comment-preserving merge, ownership, schema validity, bad files left alone."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.ide import jsonc, vscode

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "debugpy-attach-schema.json").read_text())
# Keys every VS Code launch configuration may carry besides the debugger's own (see the
# schema file's source): the attach schema lists only debugpy's properties.
COMMON_KEYS = {"name", "type", "request", "preLaunchTask", "postDebugTask", "presentation",
               "internalConsoleOptions", "debugServer", "suppressMultipleSessionWarning"}
LAYOUT = vscode.Layout(script="train_local.py", source_dir="src", serving_workers=2)

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
        (5678, "/opt/ml/code"), (5679, "/opt/ml/model/code"), (5680, "/opt/ml/model/code")]
    assert all(c["pathMappings"][0]["localRoot"] == "${workspaceFolder}/src" for c in configs)
    assert configs[0]["preLaunchTask"] == vscode.TASK_LABEL
    assert compound["configurations"] == [c["name"] for c in configs]


def test_a_runs_real_ports_are_used_when_given():
    layout = vscode.Layout(script="d.py", source_dir="src", training_ports=(5690,),
                           serving_ports=(5700, 5702))
    configs, (compound,) = vscode.launch_entries(layout)
    assert [c["connect"]["port"] for c in configs] == [5690, 5700, 5702]
    serving_only = vscode.Layout(script="d.py", source_dir="src", training_ports=(),
                                 serving_ports=(5679,))
    configs, _ = vscode.launch_entries(serving_only)
    assert [c["name"] for c in configs] == ["smdebug-local: serving worker 1"]


def test_a_runs_layout_comes_from_its_targets(tmp_path):
    from smdebug_local.compose import DebugTarget

    src = str(tmp_path / "src")
    targets = [
        DebugTarget(role="training", service="algo-1-a", host_ports=(5679,),
                    mappings=((src, "/opt/ml/code"),)),
        DebugTarget(role="serving", service="algo-1-b", host_ports=(5680, 5681),
                    mappings=((src, "/opt/ml/model/code"), (src, "/opt/ml/code"))),
    ]
    assert vscode.run_layout([], tmp_path, "d.py", 5678, False, False) is None
    layout = vscode.run_layout(targets, tmp_path, str(tmp_path / "d.py"), 5678, False, False)
    assert (layout.script, layout.source_dir, layout.training_ports, layout.serving_ports,
            layout.run_args) == ("d.py", "src", (5679,), (5680, 5681), ("--ide", "vscode"))
    with pytest.raises(SmdebugError, match="outside the workspace"):
        vscode.run_layout(targets, tmp_path / "elsewhere", "d.py", 5678, False, False)


def test_one_config_and_port_per_training_host():
    layout = vscode.Layout("d.py", "src", serving_workers=1, training_hosts=2,
                           training_code_dir="/opt/ml/input/data/code")
    configs, compounds = vscode.launch_entries(layout)
    assert [(c["name"], c["connect"]["port"], c["pathMappings"][0]["remoteRoot"])
            for c in configs] == [
        ("smdebug-local: training algo-1", 5678, "/opt/ml/input/data/code"),
        ("smdebug-local: training algo-2", 5679, "/opt/ml/input/data/code"),
        ("smdebug-local: serving worker 1", 5680, "/opt/ml/model/code")]
    assert [c.get("preLaunchTask") for c in configs] == [vscode.TASK_LABEL, None, None]
    assert [(c["name"], c["configurations"]) for c in compounds] == [
        ("smdebug-local: training (all hosts)", [c["name"] for c in configs[:2]]),
        ("smdebug-local: train + serve", [c["name"] for c in configs])]
    for config in configs:
        jsonschema.validate({k: v for k, v in config.items() if k not in COMMON_KEYS},
                            strict_schema())


def test_task_ends_on_the_ready_line_the_bootstrap_prints():
    import re

    (task,) = vscode.task_entries(vscode.Layout("d.py", "src", run_args=("--no-wait",)))
    assert task["command"] == "smdebug-local run --no-wait d.py" and task["isBackground"]
    ends = re.compile(task["problemMatcher"]["background"]["endsPattern"])
    assert ends.search("algo-1-x | smdebug-local: training algo-1 waiting for debugger on "
                       "127.0.0.1:5678 (/src -> /opt/ml/code)")
    assert ends.search("smdebug-local: serving algo-1 debugger listening on 127.0.0.1:5679 "
                       "(/src -> /opt/ml/model/code) (not waiting)")
    assert not ends.search("smdebug-local: preparing debugpy 1.8.22")


def test_merge_keeps_comments_trailing_commas_and_user_entries(tmp_path):
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "launch.json").write_text(USER_LAUNCH)
    written = vscode.init(tmp_path, LAYOUT)
    text = written[0].read_text()
    assert "// My own launch configurations -- keep this comment!" in text
    assert "/* inline comment */" in text
    assert text.startswith(USER_LAUNCH[:USER_LAUNCH.index('"program"')])  # untouched prefix
    data = jsonc.parse(text).to_python()
    names = [c["name"] for c in data["configurations"]]
    assert names[0] == "Python: current file" and len(names) == 4
    assert [c["name"] for c in data["compounds"]] == ["smdebug-local: train + serve"]
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
    with pytest.raises(SmdebugError, match=r"launch.json is not valid JSON with comments .*not changed"):
        vscode.init(tmp_path, LAYOUT)
    assert (tmp_path / ".vscode" / "launch.json").read_text() == broken
    assert not (tmp_path / ".vscode" / "tasks.json").exists()  # nothing written at all


def test_missing_keys_and_empty_arrays():
    text = vscode.merge('{"version": "0.2.0"}', "configurations", [{"a": 1}],
                        lambda e: False, Path("launch.json"))
    assert jsonc.parse(text).to_python() == {"version": "0.2.0", "configurations": [{"a": 1}]}
    text = vscode.merge('{}', "tasks", [{"label": "x"}], lambda e: False, Path("t.json"))
    assert jsonc.parse(text).to_python() == {"tasks": [{"label": "x"}]}


@pytest.mark.parametrize("text", ["[1,, 2]", '{"a" 1}', "{} extra", '{"a": tru}', "/* open"])
def test_jsonc_rejects_garbage(text):
    with pytest.raises(jsonc.JsoncError):
        jsonc.parse(text)


def test_jsonc_reads_what_vscode_accepts():
    text = '// c\n{"a": [1, 2,], /* b */ "s": "x // not a comment", "n": null,}'
    assert jsonc.parse(text).to_python() == {"a": [1, 2], "s": "x // not a comment", "n": None}


def test_connect_mode_writes_one_listen_config_with_restart_and_says_why(tmp_path):
    layout = vscode.Layout("d.py", "src", port=6000, mode="connect", listen_host="172.17.0.1",
                           run_args=("--mode", "connect", "--port", "6000"))
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
    assert lines[at - 1].strip().startswith("// restart: listen again after each run")
    assert jsonc.parse(text).to_python()["configurations"][0]["restart"] is True
    vscode.init(tmp_path, layout)  # rerun: same text, comment not duplicated
    assert (tmp_path / ".vscode" / "launch.json").read_text() == text
    (task,) = vscode.task_entries(layout)
    assert task["command"] == "smdebug-local run --mode connect --port 6000 d.py"
    import re
    assert re.search(task["problemMatcher"]["background"]["endsPattern"],
                     "smdebug-local: training algo-1 connecting to debugger at "
                     "host.docker.internal:6000 (/src -> /opt/ml/code)")

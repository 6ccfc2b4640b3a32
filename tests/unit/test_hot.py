"""Which saved edits running serving workers take in place (``watch.hot``), and how an
endpoint applies them or falls back to reloading its workers -- no Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from smdebug_local.compose import DebugTarget
from smdebug_local.watch import hot
from smdebug_local.watch.filters import Source
from smdebug_local.watch.jobs import Endpoint

HANDLER = """\
import json

import numpy as np

LABELS = ["cat", "dog"]


def model_fn(model_dir):
    return load(model_dir)


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(data, model):
    return model(data)


class InferenceSpec:
    def load(self, model_dir):
        return None

    def invoke(self, data, model):
        return model(data)


@cache
def decorated():
    return 1
"""


def edited(old: str, new: str) -> str:
    assert old in HANDLER
    return HANDLER.replace(old, new)


@pytest.mark.parametrize(
    ("edit", "functions"),
    [
        (("return model(data)\n\n\nclass", "return model(data) + 1\n\n\nclass"), ("predict_fn",)),
        (("return json.loads(body)", "return json.loads(body)  # c"), ()),
        (
            (
                "    def invoke(self, data, model):\n        return model(data)",
                "    def invoke(self, data, model):\n        x = 1\n        return model(data) * x",
            ),
            ("InferenceSpec.invoke",),
        ),
    ],
)
def test_body_only_edits_are_applied_in_place(edit, functions):
    assert hot.plan(HANDLER, edited(*edit), "inference.py") == hot.Plan(functions=functions)


def test_functions_an_edit_moved_get_their_new_lines_too_model_fn_included():
    """Breakpoints in the saved file must hit the functions below an added line."""
    plan = hot.plan(
        HANDLER,
        edited("    return json.loads(body)", "    x = 1\n    return json.loads(body)"),
        "i.py",
    )
    assert plan.reload is None
    assert plan.functions == (
        "input_fn",
        "predict_fn",
        "InferenceSpec.load",
        "InferenceSpec.invoke",
    )
    moved_only = hot.plan(HANDLER, "\n" + HANDLER, "i.py")
    assert "model_fn" in moved_only.functions and moved_only.reload is None
    assert "decorated" not in moved_only.functions  # the server holds the decorator's result


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            ("return load(model_dir)", "return load(model_dir, 2)"),
            "model_fn changed (the model is loaded again)",
        ),
        (
            ('LABELS = ["cat", "dog"]', 'LABELS = ["cat", "dog", "cow"]'),
            "module-level code of inference.py changed (line 5)",
        ),
        (
            ("import numpy as np", "import numpy as np\nimport torch"),
            "an import in inference.py changed",
        ),
        (
            ("def predict_fn(data, model):", "def predict_fn(data, model, extra=1):"),
            "predict_fn changed beyond its body (signature, decorators or defaults)",
        ),
        (
            (
                "    return model(data)\n\n\nclass",
                "    return model(data)\n\n\ndef more():\n    pass\n\n\nclass",
            ),
            "a statement was added to or removed from inference.py",
        ),
        (
            ("    return 1\n", "    return 2\n"),
            "decorated is decorated (the server holds the decorator's result)",
        ),
        (
            ("return model(data)\n\n\nclass", "return model(data\n\n\nclass"),
            "inference.py has a syntax error at line",
        ),
    ],
)
def test_what_the_running_process_cannot_take_reloads_and_says_why(edit, reason):
    plan = hot.plan(HANDLER, edited(*edit), "inference.py")
    assert plan.functions == () and plan.reload is not None and reason in plan.reload, plan


def test_model_builders_inference_spec_load_is_a_model_loader_a_helper_named_load_is_not():
    plan = hot.plan(HANDLER, edited("        return None", "        return 2"), "i.py")
    assert plan.reload == "InferenceSpec.load changed (the model is loaded again)"
    helper = "def load(path):\n    return 1\n"
    assert hot.plan(helper, helper.replace("1", "2"), "h.py") == hot.Plan(functions=("load",))


def read(path: str) -> str:
    return Path(path).read_text()


def test_decide_combines_files_one_reload_reloads_all(tmp_path: Path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "requirements.txt"
    a.write_text("def f():\n    return 1\n")
    b.write_text("X = 1\n")
    snapshot = hot.Snapshot.of(str(tmp_path), [str(a), str(b), str(c)])
    assert set(snapshot.texts) == {str(a), str(b)}
    a.write_text("def f():\n    return 2\n")
    assert hot.decide([str(a)], snapshot, read).changes == ((str(a), ("f",)),)
    b.write_text("X = 2\n")
    assert hot.decide([str(a), str(b)], snapshot, read).reload == (
        "module-level code of b.py changed (line 1)"
    )
    assert hot.decide([str(c)], snapshot, read).reload == ("requirements.txt is not Python code")
    assert hot.decide([str(tmp_path / "new.py")], snapshot, read).reload == ("new.py is new")


def test_a_save_landing_while_the_last_one_is_applied_is_still_a_change(tmp_path: Path):
    """The snapshot records the text a decision was made on, not the disk after it: a
    model_fn edit saved while a body edit was being applied still reloads."""
    a = tmp_path / "inference.py"
    a.write_text("def model_fn(d):\n    return 1\n\ndef predict_fn(x, m):\n    return x\n")
    snapshot = hot.Snapshot.of(str(tmp_path), [str(a)])
    a.write_text("def model_fn(d):\n    return 1\n\ndef predict_fn(x, m):\n    return -x\n")
    decision = hot.decide([str(a)], snapshot, read)
    assert decision.changes == ((str(a), ("predict_fn",)),)
    a.write_text("def model_fn(d):\n    return 2\n\ndef predict_fn(x, m):\n    return -x\n")
    snapshot.update([str(a)], decision.texts)  # applied: recorded as decided
    assert hot.decide([str(a)], snapshot, read).reload == (
        "model_fn changed (the model is loaded again)"
    )


def test_container_paths_follow_the_source_mapping():
    mappings = [("/home/u/src", "/opt/ml/model/code")]
    assert hot.container_path("/home/u/src/pkg/h.py", mappings) == "/opt/ml/model/code/pkg/h.py"
    assert hot.container_path("/home/u/other.py", mappings) is None
    with pytest.raises(ValueError, match=r"other\.py is not in the container"):
        hot.request((("/home/u/other.py", ("f",)),), mappings)


def test_outcome_counts_processes_that_applied_and_one_error_fails_all():
    assert hot.outcome([{"pid": 1, "applied": ["f"]}, {"pid": 2, "applied": ["f"]}]) == (
        hot.Outcome(2, ("f",))
    )
    assert hot.outcome([{"pid": 1, "applied": [], "not_loaded": ["/x.py"]}]) == hot.Outcome(0, ())
    assert hot.outcome(
        [{"pid": 1, "applied": ["f"]}, {"pid": 7, "error": "no answer"}]
    ).problem == ("process 7: no answer")
    assert hot.outcome([]).problem == "no debugged process listens for edits in the container"


def endpoint(
    tmp_path: Path, answers, said: list[str], reloaded: list[str]
) -> tuple[Endpoint, Path]:
    source = tmp_path / "src"
    source.mkdir()
    handler = source / "inference.py"
    handler.write_text(HANDLER)
    asked: list = []

    def hot_apply(container: str, changes: list[dict]) -> list[dict]:
        asked.append((container, changes))
        if isinstance(answers, Exception):
            raise answers
        return answers

    e = Endpoint(
        container="c-algo-1",
        source=Source("serving", str(source), "inference.py"),
        base_url="http://127.0.0.1:9",  # nothing answers: a reload restarts the container
        restart=reloaded.append,
        say=said.append,
        hot_apply=hot_apply,
        snapshot=hot.Snapshot.of(str(source), [str(handler)]),
    )
    e.runs.add(
        DebugTarget(
            service="algo-1",
            role="serving",
            host_ports=(5678,),
            mappings=((str(source), "/opt/ml/model/code"),),
        ),
        "c-algo-1",
    )
    e.asked = asked  # type: ignore[attr-defined]
    return e, handler


def test_an_endpoint_applies_a_body_edit_in_place_and_says_so(tmp_path: Path):
    said: list[str] = []
    reloaded: list[str] = []
    e, handler = endpoint(
        tmp_path, [{"pid": 9, "applied": ["predict_fn"], "not_loaded": []}], said, reloaded
    )
    handler.write_text(edited("return model(data)\n\n\nclass", "return model(data) + 1\n\n\nclass"))
    e.apply([str(handler)])
    assert e.asked == [  # type: ignore[attr-defined]
        ("c-algo-1", [{"path": "/opt/ml/model/code/inference.py", "functions": ["predict_fn"]}])
    ]
    assert reloaded == []
    assert (
        "predict_fn applied in 1 running process(es) (no restart, the loaded model kept)" in said[0]
    )
    assert said[0].endswith("; debug ports 127.0.0.1:5678")
    # The snapshot now holds the applied text: editing it back is one more body change.
    handler.write_text(HANDLER)
    assert e.apply_in_place([str(handler)]) is True


def test_an_endpoint_falls_back_to_a_reload_and_says_why(tmp_path: Path):
    said: list[str] = []
    reloaded: list[str] = []
    e, handler = endpoint(tmp_path, [{"pid": 9, "error": "no answer within 2s"}], said, reloaded)
    handler.write_text(edited("return model(data)\n\n\nclass", "return model(data) + 1\n\n\nclass"))
    e.apply([str(handler)])
    assert reloaded == ["c-algo-1"]
    assert (
        "inference.py changed (process 9: no answer within 2s): endpoint c-algo-1: container restarted"
        in said[0]
    )

    said.clear()
    handler.write_text(edited("return load(model_dir)", "return load(model_dir, 2)"))
    assert e.apply_in_place([str(handler)]) is False  # a paused debugger waits for this one
    e.apply([str(handler)])
    assert "changed (model_fn changed (the model is loaded again)): endpoint c-algo-1" in said[0]
    assert len(e.asked) == 1  # type: ignore[attr-defined]


def test_an_applier_that_cannot_run_is_a_reload(tmp_path: Path):
    said: list[str] = []
    reloaded: list[str] = []
    e, handler = endpoint(
        tmp_path, OSError("the in-container applier failed: boom"), said, reloaded
    )
    handler.write_text(edited("return model(data)\n\n\nclass", "return model(data) + 1\n\n\nclass"))
    e.apply([str(handler)])
    assert reloaded == ["c-algo-1"] and "(the in-container applier failed: boom)" in said[0]

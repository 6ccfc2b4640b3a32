"""Edited function bodies put into a running process (``_smdebug_local_hot``): the function
objects the server holds run the new body on their next call, all or nothing."""

import importlib.util
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import _smdebug_local_hot as hot
import pytest

HANDLER = """\
import os

SCALE = 2


def model_fn(model_dir):
    return {"loaded": 1}


def predict_fn(data, model):
    return data * SCALE


class InferenceSpec:
    def invoke(self, data, model):
        return "old invoke"

    @staticmethod
    def helper():
        return "old helper"
"""


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def handler(tmp_path):
    path = tmp_path / "inference.py"
    path.write_text(HANDLER)
    name = f"inference_{id(path)}"
    module = load(path, name)
    yield path, module, {name: module}


def test_a_held_function_runs_the_new_body_and_the_model_object_stays(handler):
    path, module, modules = handler
    held = module.predict_fn  # as the inference toolkit keeps it
    model = module.model_fn("/opt/ml/model")
    path.write_text(HANDLER.replace("return data * SCALE", "return data * SCALE + 100"))

    result = hot.apply([{"path": str(path), "functions": ["predict_fn"]}], modules)

    assert result == {"applied": ["predict_fn"], "not_loaded": []}
    assert held(1, model) == 102
    assert module.SCALE == 2 and model == {"loaded": 1}


def test_methods_and_static_methods_are_found_through_their_class(handler):
    path, module, modules = handler
    spec = module.InferenceSpec()
    path.write_text(
        HANDLER.replace('"old invoke"', '"new invoke"').replace('"old helper"', '"new helper"')
    )

    result = hot.apply(
        [{"path": str(path), "functions": ["InferenceSpec.invoke", "InferenceSpec.helper"]}],
        modules,
    )

    assert result["applied"] == ["InferenceSpec.helper", "InferenceSpec.invoke"]
    assert spec.invoke(1, None) == "new invoke"
    assert module.InferenceSpec.helper() == "new helper"


def test_new_line_numbers_reach_tracebacks_and_the_file_name_stays_the_modules(handler):
    path, module, modules = handler
    path.write_text(
        HANDLER.replace(
            "def predict_fn(data, model):\n    return data * SCALE",
            "def predict_fn(data, model):\n\n\n    raise ValueError(data)",
        )
    )
    hot.apply([{"path": str(path), "functions": ["predict_fn"]}], modules)

    code = module.predict_fn.__code__
    assert code.co_filename == str(path)
    with pytest.raises(ValueError) as raised:
        module.predict_fn(3, None)
    lines = path.read_text().splitlines()
    assert lines[raised.traceback[-1].lineno].strip() == "raise ValueError(data)"


def test_all_or_nothing_when_one_function_cannot_take_its_new_code(handler):
    path, module, modules = handler
    path.write_text(HANDLER.replace("return data * SCALE", "return data * 3"))
    before = module.predict_fn.__code__

    result = hot.apply(
        [{"path": str(path), "functions": ["predict_fn", "gone_fn"]}],
        modules,
    )

    assert result == {"error": "gone_fn is not a function of the running module"}
    assert module.predict_fn.__code__ is before


def test_a_syntax_error_changes_nothing(handler):
    path, module, modules = handler
    path.write_text(HANDLER.replace("return data * SCALE", "return data *"))

    result = hot.apply([{"path": str(path), "functions": ["predict_fn"]}], modules)

    assert result == {"error": "syntax error in inference.py line 11"}
    assert module.predict_fn(1, None) == 2


def test_a_function_whose_closure_differs_is_refused(tmp_path):
    """The running ``inner`` is a closure (a decorator's or factory's result); the saved
    file's top-level ``inner`` has no free variables: its code cannot go into that object."""
    path = tmp_path / "closure.py"
    path.write_text(
        "def make():\n    y = 1\n    def inner():\n        return y\n    return inner\n\n\ninner = make()\n"
    )
    module = load(path, "closure_mod")
    path.write_text("def inner():\n    return 2\n")

    result = hot.apply([{"path": str(path), "functions": ["inner"]}], {"closure_mod": module})

    assert result == {"error": "inner's closure changed"}
    assert module.inner() == 1


def test_a_file_no_process_has_loaded_is_reported_not_loaded(tmp_path):
    path = tmp_path / "later.py"
    path.write_text("def f():\n    return 1\n")

    result = hot.apply([{"path": str(path), "functions": ["f"]}], {})

    assert result == {"applied": [], "not_loaded": [str(path)]}


def test_a_call_already_running_finishes_with_the_code_it_started(handler):
    """A request paused at a breakpoint goes on with the old body; the next one runs the new."""
    path, _, _ = handler
    path.write_text(
        HANDLER.replace(
            "def predict_fn(data, model):\n    return data * SCALE",
            "def predict_fn(data, model):\n    data.wait()\n    return 'old'",
        )
    )
    module = load(path, "inference_paused")
    gate = threading.Event()
    out = []
    worker = threading.Thread(target=lambda: out.append(module.predict_fn(gate, None)))
    worker.start()
    path.write_text(path.read_text().replace("return 'old'", "return 'new'"))

    hot.apply([{"path": str(path), "functions": ["predict_fn"]}], {"inference_paused": module})
    gate.set()
    worker.join(5)

    assert out == ["old"]
    gate.set()
    assert module.predict_fn(gate, None) == "new"


def test_code_objects_name_functions_and_methods_not_lambdas_or_comprehensions():
    code = compile(
        "f = lambda: 1\ndef g():\n    return [i for i in ()]\nclass C:\n    def m(self):\n"
        "        pass\n    class D:\n        async def n(self):\n            pass\n",
        "x.py",
        "exec",
    )
    assert sorted(hot.code_objects(code)) == ["C.D.n", "C.m", "g"]


SERVER = """\
import sys, time
sys.path.insert(0, {payload!r})
import _smdebug_local_hot as hot
hot.install({directory!r})
sys.path.insert(0, {folder!r})
import inference
held = inference.predict_fn
print("ready", flush=True)
while True:
    with open({out!r}, "w") as f:
        f.write(str(held(1, None)))
    time.sleep(0.02)
"""


def test_a_signalled_process_applies_the_request_and_answers(tmp_path):
    """The collector's path: a real process listed in the folder, signalled, answering."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "inference.py").write_text(HANDLER)
    directory, out = str(tmp_path / "edits"), str(tmp_path / "out.txt")
    payload = os.path.dirname(hot.__file__)
    script = SERVER.format(payload=payload, directory=directory, folder=str(folder), out=out)
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        edited = HANDLER.replace("return data * SCALE", "return data * SCALE + 40")
        (folder / "inference.py").write_text(edited)

        answers = hot.request_all(
            [{"path": str(folder / "inference.py"), "functions": ["predict_fn"]}],
            directory=directory,
        )

        assert answers == [{"applied": ["predict_fn"], "not_loaded": [], "pid": server.pid}]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(out).read_text() != "42":
            time.sleep(0.02)
        assert Path(out).read_text() == "42"
    finally:
        server.kill()
        server.wait()
    # The ended process is dropped from the folder at the next request.
    assert hot.request_all([], directory=directory) == []
    assert not [n for n in os.listdir(directory) if n.isdigit()]


def test_installing_twice_or_off_the_main_thread_leaves_the_signal_alone(tmp_path):
    directory = str(tmp_path / "edits")
    out = []
    thread = threading.Thread(target=lambda: out.append(hot.install(directory)))
    thread.start()
    thread.join()
    assert out == [False]
    payload = os.path.dirname(hot.__file__)
    script = textwrap.dedent(
        f"""
        import signal, sys
        sys.path.insert(0, {payload!r})
        import _smdebug_local_hot as hot
        signal.signal(hot.signal_number(), lambda *a: None)
        print(hot.install({directory!r}))
        """
    )
    taken = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert taken.stdout.strip() == "False"

"""Tensors that say what they are (_smdebug_local_values): the value text, the bounded
preview and sample, the statistics, and the providers in a real pydevd.

Runs under every host Python 3.8+ like the other payload tests (imported as in containers).
The formatting is pure; the libraries are recognised through ``sys.modules``, so a small
stand-in ``torch`` module checks what the torch code reads (only the preview's elements);
real NumPy and pandas where this Python has them; real torch runs in the e2e test
(tests/e2e/test_training.py) and in real VS Code (tests/vscode/test_extension.py).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import types

import _smdebug_local_values as values
import pytest


def test_numbers_in_the_preview():
    assert values.number(-0.18253) == "-0.1825"
    assert values.number(1220.7) == "1221"
    assert values.number(3) == "3"
    assert values.number(True) == "True"
    assert values.number(1.5 - 2j) == "1.5-2j"
    assert values.number(float("nan")) == "nan"
    assert values.number("x" * 40) == "'" + "x" * 18 + "…"


def test_preview_nests_the_first_row_and_marks_what_is_left_out():
    assert values.preview((4096, 4096), [-0.18, 1.22]) == "[[-0.18, 1.22, …], …]"
    assert values.preview((3,), [1, 2, 3]) == "[1, 2, 3]"
    assert values.preview((1, 1, 2), [1, 2]) == "[[[1, 2]]]"
    assert values.preview((2, 1, 8), [1]) == "[[[1, …]], …]"
    assert values.preview((), [0.5]) == "0.5"


def test_describe_names_shape_dtype_device_first():
    assert (
        values.describe("Tensor", (4096, 4096), "float32", "cpu", (), [-0.1825, 1.2207])
        == "Tensor[4096, 4096] float32 cpu  [[-0.1825, 1.221, …], …]"
    )
    assert values.describe("Tensor", (), "int64", "cuda:0", ["requires_grad"], [7]) == (
        "Tensor[] int64 cuda:0 requires_grad  7"
    )
    assert values.describe("ndarray", (0, 3), "float64") == "ndarray[0, 3] float64"


def test_the_preview_reads_the_head_of_the_first_innermost_row():
    assert values.head_index((4096, 4096)) == (0, slice(0, values.PREVIEW))
    assert values.head_index((5,), 2) == (slice(0, 2),)
    assert values.head_index(()) == ()


def elements_kept(shape, steps):
    kept = 1
    for size, step in zip(shape, steps):
        kept *= -(-size // step)
    return kept


@pytest.mark.parametrize(
    "shape",
    [(4096, 4096), (10**8,), (3, 10**7), (7, 5, 3000, 3000), (1, 1, 1 << 21), (1 << 20,)],
)
def test_the_sample_is_bounded_but_not_needlessly_small(shape):
    steps = values.sample_steps(shape)
    kept = elements_kept(shape, steps)
    assert kept <= values.STATS_LIMIT
    if values.elements(shape) > values.STATS_LIMIT:
        assert kept > values.STATS_LIMIT // 8
    else:
        assert steps == [1] * len(shape)


def test_sample_steps_and_what_the_stats_say_they_cover():
    assert values.sample_steps((4096, 4096)) == [16, 1]
    assert values.sample_steps((1000, 1000)) == [1, 1]
    assert values.sample_steps((10**8,)) == [96]
    assert values.sample_index([16, 1]) == (slice(None, None, 16), slice(None, None, 1))
    assert values.coverage((1000, 1000), [1, 1]) == "all 1,000,000 elements"
    assert values.coverage((4096, 4096), [16, 1]) == (
        "a sample: 1,048,576 of 16,777,216 elements (every 16th on axis 0)"
    )
    assert values.coverage((10**8,), [96]) == (
        "a sample: 1,041,667 of 100,000,000 elements (every 96th on axis 0)"
    )


def test_stats_entries_order_and_the_finite_note():
    counts = {"over": "all 4 elements", "NaN": 1, "Inf": 0, "min": 1.0, "max": 3.0}
    counts.update(mean=2.0, finite_only=True)
    assert values.stats_entries(counts) == [
        ("min", 1.0),
        ("max", 3.0),
        ("mean", 2.0),
        ("NaN", 1),
        ("Inf", 0),
        ("note", "min, max and mean of the finite elements"),
        ("over", "all 4 elements"),
    ]
    assert values.stats_entries({"empty": True}) == [("over", "no elements")]


def test_tensorflow_device_names_are_short():
    assert values.short_device("/job:localhost/replica:0/task:0/device:GPU:0") == "GPU:0"
    assert values.short_device("") == ""


def test_the_module_imports_nothing_but_sys():
    """A library is never imported by the payload: it is recognised in sys.modules."""
    with open(values.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"sys"}


# ------------------------------------------------------------ a stand-in torch


class FakeDtype:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return "torch." + self.name


class Tensor:
    """What the torch code reads of a tensor; every index taken is recorded, and a part
    holds only the elements its index selects (so a whole-tensor read shows)."""

    def __init__(self, module, shape, dtype="float32", device="cpu", log=None, data=None):
        self.module, self.shape, self.device = module, shape, device
        self.dtype = FakeDtype(dtype)
        self.layout = module.strided
        self.requires_grad = False
        self.is_meta = device == "meta"
        self.is_quantized = False
        self.log = [] if log is None else log
        self.data = data

    def detach(self):
        return self

    def __getitem__(self, index):
        self.log.append(index)
        count = index[-1].stop - index[-1].start if index else 1
        return Tensor(self.module, (count,), log=self.log, data=[0.5] * count)

    def tolist(self):
        self.log.append(("tolist", len(self.data)))
        return self.data


def fake_torch(monkeypatch):
    torch = types.ModuleType("torch")
    torch.strided = "torch.strided"
    torch.Tensor = Tensor
    torch.nn = types.SimpleNamespace(Parameter=type("Parameter", (Tensor,), {}))
    monkeypatch.setitem(sys.modules, "torch", torch)
    return torch


def test_no_library_is_recognised_before_the_users_code_imports_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert values.library_of(Tensor) is None
    torch = fake_torch(monkeypatch)
    assert values.library_of(Tensor) is values.LIBRARIES[0]
    assert values.library_of(torch.nn.Parameter) is values.LIBRARIES[0]
    assert values.library_of(dict) is None


def test_a_torch_tensors_value_reads_only_the_preview(monkeypatch):
    torch = fake_torch(monkeypatch)
    tensor = Tensor(torch, (4096, 4096), device="cuda:0")
    text = values.Presenter([]).get_str_in_context(tensor, "variables")
    assert text == "Tensor[4096, 4096] float32 cuda:0  [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, …], …]"
    assert tensor.log == [(0, slice(0, values.PREVIEW)), ("tolist", values.PREVIEW)]


def test_a_tensor_without_data_shows_its_header_only(monkeypatch):
    torch = fake_torch(monkeypatch)
    meta = Tensor(torch, (8, 8), "bfloat16", "meta")
    meta.requires_grad = True
    assert values.Presenter([]).get_str(meta) == "Tensor[8, 8] bfloat16 meta requires_grad"
    assert meta.log == []
    assert values.Stats(values.LIBRARIES[0], meta).entries() == [
        ("over", "no statistics for this data type")
    ]
    # A subclass with its own dispatch (DTensor would run a collective): the header only.
    sharded = type("DTensor", (Tensor,), {})(torch, (4, 4))
    assert values.Presenter([]).get_str(sharded) == "DTensor[4, 4] float32 cpu"
    assert sharded.log == []


def test_the_clipboard_and_a_failure_get_pydevds_own_text(monkeypatch):
    torch = fake_torch(monkeypatch)

    class Pydevd:
        def can_provide(self, type_object, type_name):
            return True

        def get_str_in_context(self, value, context):
            return "pydevd's " + context

    presenter = values.Presenter([Pydevd()])
    tensor = Tensor(torch, (2,))
    assert presenter.get_str_in_context(tensor, "clipboard") == "pydevd's clipboard"
    tensor.shape = None  # the library refuses: not our text, not an exception
    assert presenter.get_str_in_context(tensor, "hover") == "pydevd's hover"
    assert values.Presenter([]).get_str_in_context(tensor, "hover") is None


def test_the_stats_child_waits_to_be_expanded(monkeypatch):
    torch = fake_torch(monkeypatch)
    tensor = Tensor(torch, (4096, 4096))

    class Default:
        def get_contents_debug_adapter_protocol(self, value, fmt=None):
            return [("shape", value.shape, ".shape")]

    resolver = values.Resolver([], Default())
    children = resolver.get_contents_debug_adapter_protocol(tensor)
    assert [c[0] for c in children] == ["[stats]", "shape"]
    stats = children[0][1]
    assert isinstance(stats, values.Stats) and tensor.log == []
    assert values.Presenter([]).get_str(stats) == (
        "expand: min, max, mean, NaN/Inf of a sample of 1,048,576 elements"
    )


# ------------------------------------------------------------ real NumPy and pandas


def test_numpy_arrays_and_their_stats():
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(12.0).reshape(3, 4)
    assert values.Presenter([]).get_str(array) == "ndarray[3, 4] float64  [[0, 1, 2, 3], …]"
    array[1, 1], array[2, 2] = numpy.nan, numpy.inf
    assert dict(values.Stats(values.LIBRARIES[1], array).entries()) == {
        "min": 0.0,
        "max": 11.0,
        "mean": 5.1,  # (0 + 1 + ... + 11 - 5 - 10) / 10
        "NaN": 1,
        "Inf": 1,
        "note": "min, max and mean of the finite elements",
        "over": "all 12 elements",
    }
    big = numpy.zeros(10**7, dtype=numpy.float32)
    big[::96] = 1.0
    stats = dict(values.Stats(values.LIBRARIES[1], big).entries())
    assert stats["max"] == 1.0 and stats["mean"] < 1.0
    assert stats["over"] == "a sample: 1,000,000 of 10,000,000 elements (every 10th on axis 0)"
    flags = numpy.array([True, False, True])
    assert dict(values.Stats(values.LIBRARIES[1], flags).entries())["true"] == 2
    assert values.Presenter([]).get_str(numpy.array(2.5)) == "ndarray[] float64  2.5"


def test_pandas_frames_and_series():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({c: [1, 2] for c in "abcde"})
    frame["b"] = frame["b"].astype("float32")
    assert values.Presenter([]).get_str(frame) == (
        "DataFrame[2, 5]  a int64, b float32, c int64, d int64, …"
    )
    series = pandas.Series([1.5, 2.5, None], name="price")
    assert values.Presenter([]).get_str(series) == (
        "Series[3] float64 name='price'  [1.5, 2.5, nan]"
    )
    assert dict(values.Stats(values.LIBRARIES[2], series).entries())["NaN"] == 1


# ------------------------------------------------------------ in a real pydevd


def debugpy_tree():
    version = "1.8.22" if sys.version_info >= (3, 10) else "1.8.21"
    base = os.environ.get("SMDEBUG_LOCAL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "smdebug-local"
    )
    tree = os.path.join(base, "debugpy", version)
    if not os.path.isdir(os.path.join(tree, "debugpy")):
        pytest.skip(f"no debugpy {version} in {base} (smdebug-local prefetch)")
    return tree


IN_PYDEVD = """
import sys, types
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import debugpy
debugpy.configure(subProcess=False)
import _smdebug_local_values as values
assert values.install() and values.install()  # twice: installed once

class Tensor:
    shape, device, requires_grad, is_meta, is_quantized = (2, 3), "cpu", False, False, False
    dtype, layout = "torch.float16", "strided"
    def detach(self):
        return self
    def __getitem__(self, index):
        return types.SimpleNamespace(tolist=lambda: [0.25, 0.5, 0.75])

torch = types.ModuleType("torch")
torch.Tensor, torch.strided, torch.nn = Tensor, "strided", types.SimpleNamespace()
sys.modules["torch"] = torch
from _pydevd_bundle import pydevd_xml
tensor = Tensor()
print(pydevd_xml.get_variable_details(tensor, context="variables")[-1])
resolver = pydevd_xml.get_type(tensor)[2]
children = resolver.get_contents_debug_adapter_protocol(tensor)
print(children[0][0], pydevd_xml.get_variable_details(children[0][1])[-1])
print(sorted(c[0] for c in children[1:] if not c[0].startswith("_")))
"""


def test_the_providers_come_first_in_debugpys_own_pydevd():
    """debugpy 1.8.22 (3.10+) or 1.8.21 (3.8, 3.9), as the container loads it: after
    configure, install() puts the providers in the lists pydevd's variables use."""
    payload = os.path.dirname(values.__file__)
    run = subprocess.run(
        [sys.executable, "-c", IN_PYDEVD, debugpy_tree(), payload],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "Tensor[2, 3] float16 cpu  [[0.25, 0.5, 0.75], …]"
    assert lines[1] == "[stats] expand: min, max, mean, NaN/Inf of all elements"
    assert "device" in lines[2] and "shape" in lines[2]  # pydevd's own children follow

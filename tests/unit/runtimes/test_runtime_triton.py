"""Triton's Python backend: an interpreter embedded in triton_python_backend_stub."""

from seen import seen

STUB = "/opt/tritonserver/backends/python/triton_python_backend_stub"


def test_the_stub_is_recognised_by_its_executable():
    s = seen("serving", [], executable=STUB, worker=1)
    assert (s.debugged, s.deferred, s.who) == (True, True, "serving algo-1 worker 1 (Triton)")


def test_a_python_repl_is_not():
    assert not seen("serving", []).debugged

"""Option validation: one line naming the problem and the fix."""

import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.options import DebugOptions


@pytest.mark.parametrize("port", [0, -1, 65536, 100000])
def test_port_out_of_range(port):
    with pytest.raises(SmdebugError, match=r"out of range; use 1-65535"):
        DebugOptions(port=port)


def test_bind_must_be_an_address():
    with pytest.raises(SmdebugError, match="not an IP address"):
        DebugOptions(bind="localhost:5678")


def test_loopback_is_default_and_not_exposed():
    assert DebugOptions().bind == "127.0.0.1" and not DebugOptions().exposed
    assert DebugOptions(bind="::1").exposed is False
    assert DebugOptions(bind="0.0.0.0").exposed

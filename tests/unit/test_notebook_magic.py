"""The %smdebug_local magic's argument parsing."""

from __future__ import annotations

import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.notebook import parse


@pytest.mark.parametrize(
    "line, expected",
    [
        ("", ("on", {})),
        ("on", ("on", {})),
        ("on --port 6000 --no-wait", ("on", {"port": 6000, "wait": False})),
        ("on --wait --bind 0.0.0.0", ("on", {"wait": True, "bind": "0.0.0.0"})),
        ("off", ("off", {})),
        ("status", ("status", {})),
        ("stacks", ("stacks", {})),
        ("on --no-post-mortem", ("on", {"post_mortem": False})),
        ("on --post-mortem --no-wait", ("on", {"post_mortem": True, "wait": False})),
    ],
)
def test_parse(line, expected):
    assert parse(line) == expected


@pytest.mark.parametrize(
    "line",
    ["launch", "on --port x", "on --frobnicate", "off --port 1", "on --port", "stacks --wait"],
)
def test_bad_lines_name_the_usage(line):
    with pytest.raises(SmdebugError, match="smdebug_local"):
        parse(line)

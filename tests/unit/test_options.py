"""Option validation: one line naming the problem and the fix."""

import pytest

from smdebug_local.errors import SmdebugError
from smdebug_local.options import DEFAULT_POST_MORTEM_TIMEOUT, DebugOptions, person_present


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


def test_pycharm_connects_back_unless_told_otherwise():
    assert DebugOptions.from_user(ide="pycharm").mode == "connect"
    assert DebugOptions.from_user(ide="pycharm", mode=None).mode == "connect"
    assert DebugOptions.from_user().mode == "listen"


def test_pycharm_with_listen_mode_asked_for_is_an_error_not_a_silent_switch():
    with pytest.raises(SmdebugError, match="--ide pycharm makes containers connect back"):
        DebugOptions.from_user(ide="pycharm", mode="listen")


def test_cli_pycharm_listen_is_refused_with_one_line(tmp_path):
    from click.testing import CliRunner

    from smdebug_local import cli

    script = tmp_path / "driver.py"
    script.write_text("print('never runs')\n")
    result = CliRunner().invoke(
        cli.main,
        [
            "run",
            "--ide",
            "pycharm",
            "--mode",
            "listen",
            "--pycharm-build",
            "263.7307.50",
            str(script),
        ],
    )
    assert result.exit_code == 2
    assert "error: --ide pycharm makes containers connect back" in result.output
    assert "never runs" not in result.output


def test_ranks_are_all_or_a_list():
    assert DebugOptions.parse_ranks(None) is None
    assert DebugOptions.parse_ranks("all") is None
    assert DebugOptions.parse_ranks("2, 0,2") == (0, 2)
    with pytest.raises(SmdebugError, match="--ranks 'first' is neither"):
        DebugOptions.parse_ranks("first")


@pytest.mark.parametrize(
    "environ, tty, notebook, present",
    [
        ({}, True, False, True),
        ({}, False, True, True),
        ({}, False, False, False),  # stdin not a terminal: a script, a pipe
        ({"CI": "true"}, True, False, False),
        ({"CI": "1"}, False, True, False),
        ({"CI": "false"}, True, False, True),
        ({"CI": "0"}, True, False, True),
        ({"CI": ""}, True, False, True),
    ],
)
def test_a_person_is_present_in_a_terminal_or_notebook_but_not_in_ci(
    environ, tty, notebook, present
):
    assert person_present(environ, tty, notebook) is present


def test_post_mortem_waits_only_when_on_in_listen_mode_with_debugpy():
    assert DebugOptions(post_mortem=True).post_mortem_seconds == DEFAULT_POST_MORTEM_TIMEOUT
    assert DebugOptions(post_mortem=True, post_mortem_timeout=5).post_mortem_seconds == 5
    assert DebugOptions().post_mortem_seconds is None  # off unless turned on
    assert DebugOptions(post_mortem=False).post_mortem_seconds is None
    assert DebugOptions(post_mortem=True, mode="connect").post_mortem_seconds is None
    assert DebugOptions(post_mortem=True, mode="connect", ide="pycharm").post_mortem_seconds is None


@pytest.mark.parametrize("seconds", [0, -1])
def test_a_post_mortem_timeout_must_be_above_zero(seconds):
    with pytest.raises(SmdebugError, match="--post-mortem-timeout"):
        DebugOptions(post_mortem_timeout=seconds)

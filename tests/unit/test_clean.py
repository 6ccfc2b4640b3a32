"""Which labelled containers `clean` may remove."""

from smdebug_local.clean import is_leftover
from smdebug_local.compose import LABEL_HOST, LABEL_PID, LABEL_RUN


def labels(pid="123", host="me"):
    return {LABEL_RUN: "r", LABEL_PID: pid, LABEL_HOST: host}


def test_dead_run_is_a_leftover():
    assert is_leftover(labels(), "me", alive=lambda pid: False)


def test_live_run_is_kept():
    assert not is_leftover(labels(), "me", alive=lambda pid: True)


def test_other_machines_runs_and_foreign_containers_are_never_touched():
    assert not is_leftover(labels(host="other"), "me", alive=lambda pid: False)
    assert not is_leftover({"app": "x"}, "me", alive=lambda pid: False)


def test_a_run_without_pid_is_a_leftover():
    assert is_leftover({LABEL_RUN: "r"}, "me", alive=lambda pid: True)

"""Removing a run's containers at its end: what is said when the engine refuses.

Pure decision logic over a stand-in engine (the e2e fault tests restart the real dockerd):
a container compose is removing at the same moment is not a failure; an engine that went
away is told apart from one that answers but refuses.
"""

from __future__ import annotations

from types import SimpleNamespace

import docker.errors
import pytest

from smdebug_local import messages
from smdebug_local.engine import Engine
from smdebug_local.session import DOCKER_BACK_WITHIN, DebugSession


class Container:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.removed = False

    def remove(self, force: bool) -> None:
        if self.error:
            raise self.error
        self.removed = True


def api_error(status: int, explanation: str = "refused") -> docker.errors.APIError:
    response = SimpleNamespace(status_code=status, url="http+docker://engine", reason="refused")
    return docker.errors.APIError("refused", response=response, explanation=explanation)


IN_PROGRESS = "removal of container c1 is already in progress"


def test_a_container_already_being_removed_or_gone_is_not_an_error():
    containers = [
        Container(api_error(409, IN_PROGRESS)),
        Container(docker.errors.NotFound("gone")),
        Container(),
    ]
    assert Engine.remove_containers(containers) == 1
    for other in (api_error(500), api_error(409, "another conflict")):
        with pytest.raises(docker.errors.APIError):
            Engine.remove_containers([Container(other)])


def closing(answers: bool, said: list[str], monkeypatch) -> SimpleNamespace:
    """A session whose every removal raises, on an engine that answers a ping or not."""
    monkeypatch.setattr("smdebug_local.session.say", said.append)

    def refuse() -> int:
        raise api_error(500)

    engine = SimpleNamespace(answers=lambda within: answers)
    return SimpleNamespace(_compose_roots=None, _remove_labelled=refuse, engine=engine)


def test_an_engine_that_answers_but_refuses_is_not_called_gone(monkeypatch):
    said: list[str] = []
    DebugSession._remove_containers(closing(True, said, monkeypatch))
    (line,) = said
    assert line.startswith("could not remove this run's containers (500 Server Error"), line


def test_an_engine_that_does_not_come_back_is_named(monkeypatch):
    said: list[str] = []
    DebugSession._remove_containers(closing(False, said, monkeypatch))
    assert said == [messages.DOCKER_NOT_BACK.text(seconds=DOCKER_BACK_WITHIN)]

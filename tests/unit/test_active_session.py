"""One active session: enable/disable and `with session:` close the right one."""

from __future__ import annotations

from smdebug_local import api


def _session(closed: list):
    from test_sdk_compose_file import session

    s = session()
    real_close = s.close

    def close() -> None:  # the real close (it marks the session closed), recorded
        closed.append(s)
        real_close()

    s.close = close  # type: ignore[method-assign]
    return s


def test_leaving_with_closes_that_session_not_the_active_one():
    closed: list = []
    a, b = _session(closed), _session(closed)
    api.activate(b)
    try:
        with a:
            pass
        assert closed == [a]
        assert api.active() is b
    finally:
        api.disable()
    assert closed == [a, b] and api.active() is None


def test_leaving_with_the_active_session_deactivates_it():
    closed: list = []
    a = _session(closed)
    with api.activate(a):
        assert api.active() is a
    assert closed == [a] and api.active() is None


def test_activating_another_session_closes_the_previous_one():
    closed: list = []
    a, b = _session(closed), _session(closed)
    api.activate(a)
    api.activate(b)
    assert closed == [a] and api.active() is b
    api.disable()

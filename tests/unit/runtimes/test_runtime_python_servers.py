"""Bring-your-own servers: gunicorn and its family, as a command or with ``python -m``."""

import pytest
from seen import seen

from smdebug_local.roles import ROLES


@pytest.mark.parametrize(
    "line",
    [
        ["/usr/bin/python3", "/usr/local/bin/gunicorn", "-k", "gevent", "-w", "2", "wsgi:app"],
        ["/opt/venv/bin/python", "/opt/venv/bin/uvicorn", "app:app", "--workers", "2"],
        ["/usr/bin/python3", "/usr/local/bin/waitress-serve", "--port=8080", "wsgi:app"],
        ["/usr/bin/python3", "/usr/local/bin/flask", "run"],
    ],
)
def test_a_server_is_debugged_unnamed(line):
    s = seen("serving", line)
    assert (s.debugged, s.deferred, s.who) == (True, False, "serving algo-1")


def test_python_dash_m_runs_the_servers_main():
    line = ["/usr/bin/python3", "-m", "gunicorn", "wsgi:app"]
    path = "/usr/lib/python3/dist-packages/gunicorn/__main__.py"
    assert seen("serving", line, module_path=path).who == "serving algo-1"


def test_the_serve_program_and_nginx_helpers_are_not():
    assert not seen("serving", ["/usr/bin/python3", "/opt/program/serve"]).debugged


def test_their_timeouts_are_lifted():
    env = ROLES["serving"].env_defaults
    assert env["MODEL_SERVER_TIMEOUT"] == env["UVICORN_TIMEOUT_WORKER_HEALTHCHECK"] == "3600"

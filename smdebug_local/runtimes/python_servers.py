"""Bring-your-own serving images: a Python server runs the user's app.

gunicorn with any worker class (sync, gthread, gevent, uvicorn's), uvicorn, waitress and
Flask's own server, started as a command or with ``python -m``; their workers (forked by
gunicorn, spawned by uvicorn) join the server's debug session. AWS's samples start gunicorn
from a ``serve`` program of their own (nginx in front).
"""

from __future__ import annotations

from .runtime import PAUSE_TOLERANT_TIMEOUT, Runtime

SERVERS = ("gunicorn", "uvicorn", "waitress-serve", "flask")

RUNTIMES = (
    Runtime(
        name="python-server",
        label="",
        role="serving",
        match=(
            *(f"*/bin/{server}" for server in SERVERS),
            *(f"*/{server.split('-')[0]}/__main__.py" for server in SERVERS),
        ),
        debugs="the server and the workers it forks or spawns",
        env_defaults={
            # gunicorn's worker timeout in the classic bring-your-own-container `serve`.
            "MODEL_SERVER_TIMEOUT": PAUSE_TOLERANT_TIMEOUT,
            # uvicorn --workers N kills a worker that does not answer its supervisor's
            # health check within 5 s; a paused worker's answering thread is paused too.
            "UVICORN_TIMEOUT_WORKER_HEALTHCHECK": PAUSE_TOLERANT_TIMEOUT,
        },
    ),
)

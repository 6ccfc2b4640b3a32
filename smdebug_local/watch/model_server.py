"""Make a running endpoint serve edited code: restart model-server workers, not the container.

SageMaker's PyTorch/MXNet inference toolkits run TorchServe/MMS with the management API on
the same port as inference (8080, published by local mode). Each worker is a Python process
that imports the user's module when it starts; smdebug-local mounts the live source over
the model's code copy, so scaling a model's workers to zero and back makes new processes
import the edited code -- about a second, against tens of seconds for a redeploy. Each new
worker starts its debugger again on the port its predecessor freed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

# Scaling waits for the worker to load the model (model_fn); generous, as loading may be
# slow -- but a worker paused at a breakpoint is never scaled (see watcher).
SCALE_TIMEOUT = 300.0


class ReloadUnsupported(Exception):
    """This endpoint's server cannot restart its workers in place (a container restart is
    needed); the message says why, as the watch line shows it."""


# Multi Model Server (Hugging Face, sagemaker-inference) describes a model as one object,
# TorchServe as a list of versions. MMS 1.1.11 cannot start workers again once its model was
# scaled to zero (the frontend cannot reconnect to the worker socket; the scale-up request
# never returns, with or without a debugger), so its workers are not reloaded by scaling.
MMS_RELOAD = "Multi Model Server cannot start workers again once scaled to zero"


@dataclass(frozen=True)
class ModelWorkers:
    name: str
    min_workers: int
    max_workers: int


def _call(method: str, url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def models(base_url: str, timeout: float = 5.0) -> list[ModelWorkers]:
    """The models a TorchServe/MMS endpoint serves, with their worker counts.

    Raises :class:`ReloadUnsupported` if ``base_url`` has no management API.
    """
    try:
        listing = _call("GET", f"{base_url}/models", timeout)
        names = [m["modelName"] for m in listing["models"]]
        out = []
        for name in names:
            described = _call("GET", f"{base_url}/models/{urllib.parse.quote(name)}", timeout)
            if not isinstance(described, list):
                raise ReloadUnsupported(MMS_RELOAD)
            entry = described[0]
            out.append(ModelWorkers(name, int(entry["minWorkers"]), int(entry["maxWorkers"])))
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        raise ReloadUnsupported("the server has no worker-reload API") from exc
    if not out:
        raise ReloadUnsupported(f"{base_url} serves no models")
    return out


def scale(
    base_url: str, model: ModelWorkers, workers: tuple[int, int], timeout: float = SCALE_TIMEOUT
) -> None:
    """Set a model's worker range and wait until the server has applied it."""
    query = urllib.parse.urlencode(
        {"min_worker": workers[0], "max_worker": workers[1], "synchronous": "true"}
    )
    _call("PUT", f"{base_url}/models/{urllib.parse.quote(model.name)}?{query}", timeout)


def reload_workers(base_url: str) -> int:
    """Restart every worker of every model at ``base_url``; returns how many were started.

    Raises :class:`ReloadUnsupported` when the server has no management API, and
    ``OSError``/``urllib.error.URLError`` when scaling failed half-way.
    """
    started = 0
    for model in models(base_url):
        scale(base_url, model, (0, 0))
        scale(base_url, model, (model.min_workers, model.max_workers))
        started += model.min_workers
    return started

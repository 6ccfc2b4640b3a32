"""The stacks that run user code in local mode's containers, one module per stack.

A *runtime* is what a framework container runs the user's code with: the training
toolkit, TorchServe, Multi Model Server, gunicorn and its family, ... Each module here
holds one runtime as data (:class:`Runtime`), read from that stack's public source: how
its processes that run user code are recognised (the program's path, an argument, the
container's environment), where the stack keeps the user's code, which of its timeouts a
paused debugger must not hit, and what one of its processes is called. This package's
:data:`RUNTIMES` is the registry, in recognition order; everything derived from it is
pure. Adding a stack is adding a module and a line in :data:`RUNTIMES` (as Skaffold adds a
``transform_<runtime>.go``).

The payload in the container receives the runtimes of a container's role as data
(:func:`payload`) and names each debugged process by the first runtime whose conditions
hold ("serving algo-1 worker 2 (MMS)").
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from . import (
    djl,
    mms,
    processing,
    python_servers,
    sagemaker_containers,
    tensorflow_serving,
    tensorflow_training,
    torchserve,
    training_toolkit,
    triton,
)
from .runtime import Runtime

# Recognition order: the more specific first (a TensorFlow training process is also the
# training toolkit's; the TF Serving Python service and sagemaker-containers' app are also
# gunicorn). The payload names a process by the first runtime whose conditions hold.
RUNTIMES: tuple[Runtime, ...] = (
    *tensorflow_training.RUNTIMES,
    *sagemaker_containers.RUNTIMES,
    *training_toolkit.RUNTIMES,
    *processing.RUNTIMES,
    *torchserve.RUNTIMES,
    *mms.RUNTIMES,
    *tensorflow_serving.RUNTIMES,
    *djl.RUNTIMES,
    *triton.RUNTIMES,
    *python_servers.RUNTIMES,
)
BY_NAME: dict[str, Runtime] = {r.name: r for r in RUNTIMES}


def of_role(role: str) -> tuple[Runtime, ...]:
    """The runtimes whose processes a container of ``role`` may run, in recognition order."""
    return tuple(r for r in RUNTIMES if r.role == role)


def match(role: str) -> tuple[str, ...]:
    """Every program pattern of ``role``'s runtimes (a process matching one is debugged)."""
    return tuple(dict.fromkeys(p for r in of_role(role) for p in r.match))


def defer_match(role: str) -> tuple[str, ...]:
    """The program patterns of ``role``'s runtimes that start on the user's first import."""
    return tuple(dict.fromkeys(p for r in of_role(role) if r.defer for p in r.match))


def code_dirs(role: str) -> tuple[str, ...]:
    """Folders ``role``'s runtimes load user code from (deferred starts watch them)."""
    return tuple(dict.fromkeys(d for r in of_role(role) if r.defer for d in r.code_dirs))


def env_defaults(role: str) -> dict[str, str]:
    """The environment defaults of all ``role``'s runtimes (their variables are distinct:
    each stack reads only its own)."""
    merged: dict[str, str] = {}
    for runtime in of_role(role):
        merged.update(runtime.env_defaults)
    return merged


def own_dirs() -> tuple[str, ...]:
    """Image folders that belong to a stack, never a user's program folder."""
    return tuple(dict.fromkeys(d for r in RUNTIMES for d in r.own_dirs))


def payload(role: str) -> list[dict]:
    """``role``'s runtimes as the payload's ``stacks``, in recognition order."""
    return [r.payload() for r in of_role(role)]


def _env_holds(conditions: Mapping[str, str], environment: Mapping[str, str]) -> bool:
    return all(fnmatchcase(environment.get(k, ""), v) for k, v in conditions.items())


def recognise(role: str, environment: Mapping[str, str]) -> Runtime | None:
    """The runtime an image's environment names for ``role`` (``doctor --image``): by the
    variables a DLC sets, or a stack's own folder on its ``PATH``. None when the image says
    nothing (a bring-your-own image, or a stack that sets no variable of its own: then the
    processes it starts decide, at run time)."""
    path = environment.get("PATH", "").split(":")
    for runtime in of_role(role):
        if runtime.env and _env_holds(runtime.env, environment):
            return runtime
        if any(d in path for d in runtime.own_dirs):
            return runtime
    return None


def describe(role: str, environment: Mapping[str, str]) -> str:
    """What will be debugged in a ``role`` container of an image with ``environment``."""
    found = recognise(role, environment)
    if found is not None:
        return f"{found.label}: {found.debugs}"
    named = [r.label for r in of_role(role) if r.label and not r.env and not r.own_dirs]
    return "no stack named by the image; " + (
        f"its processes decide ({', '.join(named)}, Python servers, ...)"
        if named
        else "the entry point decides"
    )

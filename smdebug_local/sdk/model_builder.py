"""``ModelBuilder`` local container mode (``sagemaker.serve``, SDK 2.x and 3.x).

``LocalContainerMode`` starts its serving container with docker-py, not compose:
``create_server(...)`` calls ``self._pull_image(image)`` (which sets ``self.client``, a
docker-py client), then one model-server helper (``_start_torch_serve``, ``_start_serving``
(MMS), ``_start_djl_serving``, ...) that runs ``client.containers.run(image, "serve",
detach=True, auto_remove=True, ports={"8080/tcp": 8080}, volumes={model_path: {"bind":
"/opt/ml/model", "mode": "rw"}}, environment={...})`` and keeps the container in
``self.container``. Hook points:

* ``LocalContainerMode._pull_image(self, image)``: afterwards ``self.client`` is wrapped so
  its ``containers.run`` passes the keyword arguments through
  :meth:`~smdebug_local.sdk.Hooks.on_container` -- one hook for every model server.
* ``sagemaker.serve.local_resources.LocalEndpoint.create`` (SDK 3.x): after starting its
  container, ModelBuilder registers the endpoint with local mode, whose ``_LocalEndpoint``
  starts a second, compose copy of the model server that fails on the taken port 8080.
  Inside ``create`` the session knows that copy for what it is (``builder_endpoint``).
* ``LocalEndpoint.delete`` (SDK 3.x) only stops the compose copy; ModelBuilder's own
  container would go on serving. Its deletion now removes that container too.

The InferenceSpec reaches the container pickled (cloudpickle, by value when defined in the
driver script). cloudpickle 3.1+ names such code ``<dynamic-code>`` (for deterministic
pickles), which no debugger can set a breakpoint in; while the adapter is installed, code
from a file on this machine keeps that file's name (``cloudpickle.Pickler``'s reducer of
code objects). The file's folder is mounted at the same path in the container (read-only),
where the debugger finds it.
"""

from __future__ import annotations

import importlib
import inspect
import os
import types
from collections.abc import Callable
from typing import Any

from . import ContainerRequest, Hooks
from ._patch import unwrap, wrap

# Where each model server's container mounts the model (its code is under it).
MODEL_DIRS = ("/opt/ml/model",)
# A user's source folder never shadows these in the container.
SYSTEM_DIRS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/opt/ml",
    "/proc",
    "/sbin",
    "/sys",
    "/usr",
    "/var/lib",
    "/var/run",
)


def user_folder(path: str | None) -> str | None:
    """The folder of ``path`` if it is a file of the user's on this machine (not an
    installed package's, not a system folder's), else None."""
    if not path or not os.path.isabs(path) or not os.path.isfile(path):
        return None
    folder = os.path.dirname(os.path.realpath(path))
    if "site-packages" in folder.split(os.sep) or "dist-packages" in folder.split(os.sep):
        return None
    if folder == "/" or any(folder == d or folder.startswith(d + "/") for d in SYSTEM_DIRS):
        return None
    return folder


def spec_source_dir(spec: object) -> str | None:
    """The host folder of the file that defines ``spec``'s class (None: not a plain file of
    the user's, e.g. a class of an installed package)."""
    if spec is None:
        return None
    cls = type(spec)
    invoke = getattr(cls, "invoke", None)
    code = getattr(invoke, "__code__", None)
    path = code.co_filename if code is not None else None
    if path is None:
        try:
            path = inspect.getsourcefile(cls)
        except TypeError:
            return None
    return user_folder(path)


# What cloudpickle 3.1+ writes as the file name of code it pickles by value.
DYNAMIC_CODE = "<dynamic-code>"


def keep_file_name(reduce: Callable, pickled: Callable[[str], None]) -> Callable:
    """cloudpickle's reducer of code objects, except that code from a file on this machine
    keeps its file name (so a breakpoint in that file binds where the code runs), and the
    folder of a user's file is passed to ``pickled`` (it is mounted where the code runs)."""

    def reducer(code: types.CodeType):
        result = reduce(code)
        path = code.co_filename
        if not (os.path.isabs(path) and os.path.isfile(path)):
            return result
        folder = user_folder(path)
        if folder is not None:
            pickled(folder)
        ctor, args, *rest = result
        args = tuple(path if isinstance(a, str) and a == DYNAMIC_CODE else a for a in args)
        return (ctor, args, *rest)

    return reducer


class _Containers:
    """``client.containers`` whose ``run`` goes through the session first."""

    def __init__(
        self, containers: Any, debug: Callable[[str, dict], dict], started: Callable[[str], None]
    ) -> None:
        self._containers = containers
        self._debug = debug
        self._started = started

    def run(self, image, command=None, **kwargs):
        container = self._containers.run(image, command, **self._debug(image, kwargs))
        name = getattr(container, "name", None)  # detached: a Container; else its output
        if isinstance(name, str):
            self._started(name)
        return container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._containers, name)


class _Client:
    """A docker-py client whose containers are started debuggable; the rest as it was."""

    def __init__(
        self, client: Any, debug: Callable[[str, dict], dict], started: Callable[[str], None]
    ) -> None:
        self._client = client
        self.containers = _Containers(client.containers, debug, started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class ModelBuilderAdapter:
    """Hooks ``sagemaker.serve.mode.local_container_mode.LocalContainerMode``."""

    name = "ModelBuilder (sagemaker.serve)"
    module = "sagemaker.serve.mode.local_container_mode"
    resources = "sagemaker.serve.local_resources"  # SDK 3.x only

    def __init__(self) -> None:
        self._installed: list[tuple[object, str]] = []
        self._restore_reducer: Callable[[], None] | None = None

    def install(self, hooks: Hooks) -> None:
        cls = importlib.import_module(self.module).LocalContainerMode

        def make_pull(original):
            def _pull_image(mode, *args, **kwargs):
                result = original(mode, *args, **kwargs)
                client = getattr(mode, "client", None)
                if client is not None and not isinstance(client, _Client):

                    def debug(image: str, run_kwargs: dict) -> dict:
                        source = spec_source_dir(getattr(mode, "inference_spec", None))
                        return hooks.on_container(
                            ContainerRequest(
                                "serving",
                                image,
                                run_kwargs,
                                code_dirs=MODEL_DIRS,
                                source_dirs=(source,) if source else (),
                            )
                        )

                    mode.client = _Client(client, debug, hooks.on_container_started)
                return result

            return _pull_image

        wrap(cls, "_pull_image", make_pull)
        self._installed = [(cls, "_pull_image")]
        self._keep_file_names(hooks)
        try:
            endpoint = importlib.import_module(self.resources).LocalEndpoint
        except (ImportError, AttributeError):
            return  # SDK 2.x: deploy() returns a predictor; the run's end removes it

        def make_create(original):
            def create(*args, **kwargs):
                with hooks.builder_endpoint():
                    return original(*args, **kwargs)

            return create

        def make_delete(original):
            def delete(local_endpoint, *args, **kwargs):
                try:
                    return original(local_endpoint, *args, **kwargs)
                finally:
                    mode = getattr(local_endpoint, "local_container_mode_obj", None)
                    container = getattr(mode, "container", None)
                    name = getattr(container, "name", None)
                    if mode is not None and name:
                        hooks.before_stop([name])
                        mode.container = None

            return delete

        # create is a classmethod: wrap the function under it, keep it a classmethod.
        original_create = endpoint.__dict__["create"]
        wrapped = make_create(original_create.__func__)
        setattr(wrapped, "__smdebug_local_original__", original_create)  # noqa: B010
        endpoint.create = classmethod(wrapped)
        wrap(endpoint, "delete", make_delete)
        self._installed += [(endpoint, "create"), (endpoint, "delete")]

    def _keep_file_names(self, hooks: Hooks) -> None:
        if self._restore_reducer is not None:
            return
        try:
            table = importlib.import_module("cloudpickle").Pickler._dispatch_table
        except (ImportError, AttributeError):
            return  # no cloudpickle, or one whose code keeps its file name anyway
        original = table.get(types.CodeType)
        if original is not None:
            table[types.CodeType] = keep_file_name(original, hooks.on_pickled_code)
            self._restore_reducer = lambda: table.__setitem__(types.CodeType, original)

    def uninstall(self) -> None:
        restore, self._restore_reducer = self._restore_reducer, None
        if restore is not None:
            restore()
        for owner, name in self._installed:
            current = owner.__dict__.get(name)
            original = getattr(
                getattr(current, "__func__", None), "__smdebug_local_original__", None
            )
            if original is not None:
                setattr(owner, name, original)
            else:
                unwrap(owner, name)
        self._installed = []

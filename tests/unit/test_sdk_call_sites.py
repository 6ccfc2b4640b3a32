"""Every call the supported SDKs make of a function we replace is accepted by our replacement
and reaches the SDK's function unchanged (issue 18: SDK 3.x calls
``_wait_for_serving_container(port, timeout=...)``, which crashed every 3.x endpoint).

Call sites and definitions are read from SDK source with ``ast``, never imported:

* the installed SDK's (SDK 2.x in the project's venv; run this file in an SDK 3.x venv and it
  reads 3.x);
* SDK 3.x's, as data (``SDK3``), copied from the source ``pip install sagemaker==3.27.0``
  installs (sagemaker-core 2.27.0, sagemaker-train 1.27.0, sagemaker-serve 1.27.0; the e2e
  suite's ``SDK3_VERSION``). When the installed SDK is 3.x, the data must equal its source.

Each call is then made, with placeholder arguments of its shape, on the adapters installed
over stand-ins that have the SDK functions' signatures and record what reaches them.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from smdebug_local.sdk import ComposeRequest, ServingWait
from smdebug_local.sdk.compose_file import ComposeFileAdapter
from smdebug_local.sdk.model_builder import ModelBuilderAdapter
from smdebug_local.sdk.model_trainer import ModelTrainerAdapter


@dataclass(frozen=True)
class Target:
    """A replaced function: where it is defined, and how the SDK's code calls it."""

    key: str
    definition: str  # "file:Class.function" (or "file:function") under the SDK package
    calls: str  # file or folder of the calls, under the SDK package
    call: str  # the called name (method, function or class)
    receiver: str  # the expression it is called on ("" for a bare name)
    scope: str = ""  # only calls made inside this class


def targets(local: str) -> list[Target]:
    """The replacements of one SDK shape (``local``: its compose-based local-mode package)."""
    image, entities = f"{local}/image.py", f"{local}/entities.py"
    return [
        Target(
            "generate",
            f"{image}:_SageMakerContainer._generate_compose_file",
            image,
            "_generate_compose_file",
            "self",
            "_SageMakerContainer",
        ),
        Target("train", f"{image}:_SageMakerContainer.train", entities, "train", "self.container"),
        Target(
            "process", f"{image}:_SageMakerContainer.process", entities, "process", "self.container"
        ),
        Target("serve", f"{image}:_SageMakerContainer.serve", entities, "serve", "self.container"),
        Target(
            "stop_serving",
            f"{image}:_SageMakerContainer.stop_serving",
            entities,
            "stop_serving",
            "self.container",
        ),
        Target(
            "wait",
            f"{entities}:_wait_for_serving_container",
            local,
            "_wait_for_serving_container",
            "",
        ),
        Target(
            "trainer",
            "train/local/local_container.py:_LocalContainer._generate_compose_file",
            "train/local/local_container.py",
            "_generate_compose_file",
            "self",
            "_LocalContainer",
        ),
        Target(
            "trainer_train",
            "train/local/local_container.py:_LocalContainer.train",
            "train/model_trainer.py",
            "train",
            "local_container",
            "ModelTrainer",
        ),
        Target(
            "builder",
            "serve/mode/local_container_mode.py:LocalContainerMode._pull_image",
            "serve/mode/local_container_mode.py",
            "_pull_image",
            "self",
            "LocalContainerMode",
        ),
    ]


# SDK 3.27.0: {key: (definition's parameters, [(caller, positional, keywords), ...])}.
SDK3 = {
    "generate": (
        "(self, command, additional_volumes=None, additional_env_vars=None)",
        [
            (
                "core/local/image.py:_SageMakerContainer.process",
                1,
                ("additional_volumes", "additional_env_vars"),
            ),
            (
                "core/local/image.py:_SageMakerContainer.train",
                1,
                ("additional_volumes", "additional_env_vars"),
            ),
            (
                "core/local/image.py:_SageMakerContainer.serve",
                1,
                ("additional_env_vars", "additional_volumes"),
            ),
        ],
    ),
    "train": (
        "(self, input_data_config, output_data_config, hyperparameters, environment, job_name)",
        [("core/local/entities.py:_LocalTrainingJob.start", 5, ())],
    ),
    "process": (
        "(self, processing_inputs, processing_output_config, environment, processing_job_name)",
        [("core/local/entities.py:_LocalProcessingJob.start", 4, ())],
    ),
    "serve": (
        "(self, model_dir, environment)",
        [
            ("core/local/entities.py:_LocalTransformJob.start", 2, ()),
            ("core/local/entities.py:_LocalEndpoint.serve", 2, ()),
        ],
    ),
    "stop_serving": (
        "(self)",
        [
            ("core/local/entities.py:_LocalTransformJob._perform_batch_inference", 0, ()),
            ("core/local/entities.py:_LocalEndpoint.stop", 0, ()),
        ],
    ),
    "wait": (
        "(serving_port, timeout=...)",
        [
            ("core/local/entities.py:_LocalTransformJob.start", 1, ("timeout",)),
            ("core/local/entities.py:_LocalEndpoint.serve", 1, ("timeout",)),
        ],
    ),
    "trainer": (
        "(self, environment, volumes)",
        [("train/local/local_container.py:_LocalContainer.train", 2, ())],
    ),
    "trainer_train": ("(self, wait)", [("train/model_trainer.py:ModelTrainer.train", 1, ())]),
    "builder": (
        "(self, image)",
        [("serve/mode/local_container_mode.py:LocalContainerMode.create_server", 0, ("image",))],
    ),
}


def sdk_root() -> Path:
    """The installed ``sagemaker`` package's folder, found without importing it."""
    return Path(importlib.util.find_spec("sagemaker").submodule_search_locations[0])


def installed_local() -> str:
    return "core/local" if (sdk_root() / "core" / "local").is_dir() else "local"


def _signature(args: ast.arguments) -> str:
    """A definition's parameters as text; defaults shown as ``...`` (not evaluated)."""

    def params(names: list[ast.arg], defaults: list) -> list[str]:
        padded = [None] * (len(names) - len(defaults)) + list(defaults)
        return [
            a.arg
            + (
                "=None"
                if isinstance(d, ast.Constant) and d.value is None
                else "=..."
                if d is not None
                else ""
            )
            for a, d in zip(names, padded)
        ]

    out = params(args.posonlyargs + args.args, args.defaults)
    if args.vararg:
        out.append(f"*{args.vararg.arg}")
    elif args.kwonlyargs:
        out.append("*")
    out += params(args.kwonlyargs, [d for d in args.kw_defaults])
    if args.kwarg:
        out.append(f"**{args.kwarg.arg}")
    return f"({', '.join(out)})"


def _walk(tree: ast.AST):
    """``(node, "Class.function" scope)`` for every node of a module."""

    def visit(node: ast.AST, scope: tuple[str, ...]):
        for child in ast.iter_child_nodes(node):
            inner = (
                (*scope, child.name)
                if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                else scope
            )
            yield child, scope
            yield from visit(child, inner)

    yield from visit(tree, ())


def read_sdk(root: Path, target: Target) -> tuple[str, list[tuple[str, int, tuple]]]:
    """``(definition's parameters, call sites)`` of ``target`` in the SDK source at ``root``."""
    file, _, qualname = target.definition.partition(":")
    *owner, name = qualname.split(".")
    definition = next(
        _signature(node.args)
        for node, scope in _walk(ast.parse((root / file).read_text()))
        if isinstance(node, ast.FunctionDef) and node.name == name and list(scope) == owner
    )
    where = root / target.calls
    files = sorted(where.rglob("*.py")) if where.is_dir() else [where]
    sites = []
    for path in files:
        for node, scope in _walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if called != target.call or receiver != target.receiver:
                continue
            if target.scope and target.scope not in scope:
                continue
            assert not any(isinstance(a, ast.Starred) for a in node.args) and all(
                k.arg for k in node.keywords
            ), f"{path}:{node.lineno}: unpacked arguments"
            sites.append(
                (
                    f"{path.relative_to(root)}:{'.'.join(scope)}",
                    len(node.args),
                    tuple(k.arg for k in node.keywords),
                )
            )
    return definition, sites


def thread_run_sites() -> list[tuple[str, int, tuple]]:
    """How ``threading.Thread`` calls ``run`` (``_HostingContainer.run`` is the serving
    thread's body): read from this Python's threading module."""
    tree = ast.parse(inspect.getsource(threading.Thread))
    return [
        ("threading.py:Thread._bootstrap_inner", len(node.args), ())
        for node, scope in _walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "self.run"
    ]


def sdk_versions() -> dict[str, dict]:
    """``{name: {key: (definition, sites)}}``: the installed SDK's, and 3.27.0's data."""
    root = sdk_root()
    installed = {
        t.key: read_sdk(root, t)
        for t in targets(installed_local())
        if (root / t.definition.partition(":")[0]).is_file()
    }
    return {"installed": installed, "3.27.0": SDK3}


def test_the_sdk3_data_is_the_sdk3_source():
    """Under SDK 3.x the data above is checked against the source (run this file in the e2e
    suite's SDK 3.x venv); under 2.x, the 3.x data at least names what 2.x calls too."""
    installed = sdk_versions()["installed"]
    assert installed["wait"][1], "no call of _wait_for_serving_container found: parser broken"
    if installed_local() == "core/local":
        assert {key: (d, sorted(s)) for key, (d, s) in installed.items()} == {
            key: (d, sorted(s)) for key, (d, s) in SDK3.items()
        }
    else:
        assert set(installed) - {"trainer"} <= set(SDK3)


class Arg(dict):
    """A placeholder argument: a mapping (hyperparameters), hashable (a compose command)."""

    __hash__ = object.__hash__


PLACEHOLDERS = {
    "serving_port": 8080,
    "command": "serve",
    "timeout": 120,
    "environment": {},
    "volumes": [],
}


def stand_in(parameters: str, calls: list, result: object = None):
    """A function with ``parameters`` that records how it was called."""
    namespace: dict = {}
    exec(f"def f{parameters.replace('=...', '=None')}: pass", namespace)
    signature = inspect.signature(namespace["f"])

    def f(*args, **kwargs):
        calls.append(signature.bind(*args, **kwargs).arguments)
        return result

    f.__signature__ = signature
    return f


def placeholders(parameters: str, positional: int, keywords: tuple, skip: int) -> tuple:
    """Arguments of a call's shape, each as its parameter needs (``skip``: self)."""
    names = [n.strip(" *").partition("=")[0] for n in parameters.strip("()").split(",")]
    names = names[skip:] + [f"extra{i}" for i in range(positional)]
    args = [PLACEHOLDERS.get(n, Arg()) for n in names[:positional]]
    return args, {k: PLACEHOLDERS.get(k, Arg()) for k in keywords}


class Hooks:
    """Records what the adapters hand to a session."""

    def __init__(self) -> None:
        self.seen: list = []

    def on_compose(self, request: ComposeRequest) -> dict:
        self.seen.append(request)
        return {"services": {}}

    def before_stop(self, names) -> None:
        self.seen.append(names)

    def removed_on_purpose(self, names) -> bool:
        return False

    def wait_until_serving(self, endpoint: ServingWait) -> None:
        self.seen.append(endpoint)

    def unsupported(self, message: str) -> None:
        self.seen.append(message)

    def job_run(self, request):
        self.seen.append(request)
        return contextlib.nullcontext()

    def on_pickled_code(self, folder: str) -> None:
        self.seen.append(folder)


@pytest.fixture
def fake_sdk(monkeypatch):
    """``install(definitions) -> (calls, objects)``: stand-in SDK modules with the given
    definitions, and the three adapters installed over them."""
    adapters = []

    def install(definitions: dict) -> tuple[dict, dict]:
        calls = {key: [] for key in definitions}
        result = {"generate": {"services": {}}, "trainer": {"services": {}}}
        fn = {key: stand_in(d, calls[key], result.get(key)) for key, (d, _) in definitions.items()}
        methods = {
            "generate": "_generate_compose_file",
            "train": "train",
            "process": "process",
            "serve": "serve",
            "stop_serving": "stop_serving",
        }
        container_cls = type(
            "_SageMakerContainer", (), {sdk_name: fn[key] for key, sdk_name in methods.items()}
        )
        hosting_calls: list = []
        hosting_cls = type("_HostingContainer", (), {"run": stand_in("(self)", hosting_calls)})
        pkg = types.ModuleType("fake_sdk_local")
        modules = {
            "fake_sdk_local": pkg,
            "fake_sdk_local.image": types.SimpleNamespace(
                _SageMakerContainer=container_cls, _HostingContainer=hosting_cls
            ),
            "fake_sdk_local.entities": types.SimpleNamespace(
                _wait_for_serving_container=fn.get("wait"),
                get_docker_host=lambda: "localhost",
                _perform_request=lambda url, pool=None: (None, 200),
            ),
            "fake_sdk_train": types.SimpleNamespace(
                _LocalContainer=type(
                    "_LocalContainer",
                    (),
                    {
                        "_generate_compose_file": fn.get("trainer"),
                        "train": fn.get("trainer_train"),
                    },
                )
            ),
            "fake_sdk_serve": types.SimpleNamespace(
                LocalContainerMode=type(
                    "LocalContainerMode", (), {"_pull_image": fn.get("builder")}
                )
            ),
        }
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, name, module)
        trainer, builder = ModelTrainerAdapter(), ModelBuilderAdapter()
        trainer.module = trainer.local_module = "fake_sdk_train"  # no ModelTrainer in it
        builder.module = "fake_sdk_serve"
        builder.resources = "fake_sdk_serve_resources"  # absent, as in SDK 2.x
        hooks = Hooks()
        for adapter in (ComposeFileAdapter("fake_sdk_local"), trainer, builder):
            if adapter is not trainer or "trainer" in fn:
                adapter.install(hooks)
                adapters.append(adapter)
        calls["run"] = hosting_calls
        return calls, {
            "entities": modules["fake_sdk_local.entities"],
            "hooks": hooks,
            "container": container_cls,
            "hosting": hosting_cls,
            "trainer": modules["fake_sdk_train"]._LocalContainer,
            "builder": modules["fake_sdk_serve"].LocalContainerMode,
        }

    yield install
    for adapter in adapters:
        adapter.uninstall()


def call_each_site(calls: dict, objects: dict, definitions: dict, tmp_path: Path) -> list[str]:
    """Make every recorded call site's call on the installed adapters; returns the sites."""
    made = []
    for key, (parameters, sites) in definitions.items():
        for where, positional, keywords in sites:
            skip = 0 if key == "wait" else 1
            args, kwargs = placeholders(parameters, positional, keywords, skip)
            before = len(calls[key])
            if key == "wait":
                objects["entities"]._wait_for_serving_container(*args, **kwargs)
                endpoint = objects["hooks"].seen[-1]
                assert endpoint.ping_url == "http://localhost:8080/ping", where
                assert endpoint.timeout == kwargs.get("timeout"), where
                assert endpoint.ping() is True, where  # through the SDK's _perform_request
                made.append(where)
                continue
            if key == "builder":
                objects["builder"]()._pull_image(*args, **kwargs)
            else:
                owner = objects["trainer" if key.startswith("trainer") else "container"]
                receiver = owner()
                receiver.image, receiver.container_root = "img", str(tmp_path)
                receiver.training_job_name = "job"
                method = {"generate": "_generate_compose_file", "trainer": "_generate_compose_file"}
                getattr(receiver, method.get(key, key.removeprefix("trainer_")))(*args, **kwargs)
                if key == "train":  # watch mode's rerun calls the SDK's train() itself
                    objects["hooks"].seen[-1].rerun(1)
            assert len(calls[key]) > before, f"{where}: the SDK's function was not called"
            passed = dict(calls[key][before])
            passed.pop("self", None)
            expected = (
                inspect.signature(stand_in(parameters, [])).bind(None, *args, **kwargs).arguments
                if skip
                else {}
            )
            expected.pop("self", None)
            assert passed == expected, f"{where}: arguments changed on the way"
            made.append(where)
    return made


@pytest.mark.parametrize("version", ["installed", "3.27.0"])
def test_every_sdk_call_of_a_replaced_function_binds(version, fake_sdk, tmp_path):
    definitions = sdk_versions()[version]
    calls, objects = fake_sdk(definitions)
    made = call_each_site(calls, objects, definitions, tmp_path)
    assert len(made) == sum(len(sites) for _, sites in definitions.values())
    for where, positional, keywords in thread_run_sites():  # the serving thread's body
        objects["hosting"]().run(*[Arg()] * positional, **dict.fromkeys(keywords))
        made.append(where)
    assert len(calls["run"]) == len(thread_run_sites()) == 1

"""Which edits a running serving process can take in place, and asking it to.

An edit that changes only the bodies of functions the server calls per request
(``input_fn``, ``predict_fn``, ``output_fn``, ``transform_fn``, a method such as
``InferenceSpec.invoke``, a helper module's function) is applied inside the running workers
by the payload (``_smdebug_local_hot``): no restart, the loaded model kept. Anything else --
``model_fn`` (its result is already loaded), module-level code, an import, a signature, a
decorator, a new or removed function, a syntax error -- needs the module to run again, so
watch mode reloads the workers as before, and says which it did and why.

The decision compares the saved file with the text the process last loaded, statement by
statement with function bodies set aside, so it is pure and unit-tested.
"""

from __future__ import annotations

import ast
import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Union

from ..payload import CONTAINER_BOOT_DIR

# Functions whose result the running process keeps (the loaded model): changing one needs
# a reload. The inference toolkits' ``model_fn``; ModelBuilder's ``InferenceSpec.load``.
MODEL_LOADERS = ("model_fn",)
MODEL_LOADER_METHODS = ("load",)
# In the container: the interpreter the stack-dump payload links, and the script.
APPLIER = [
    "/tmp/smdebug-local-stacks/python",
    "-S",
    "-E",
    f"{CONTAINER_BOOT_DIR}/_smdebug_local_hot.py",
]

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class Plan:
    """What to do with one saved file: ``functions`` to put in place, or ``reload`` (why
    not). Both empty: nothing the process runs changed (comments, blank lines)."""

    functions: tuple[str, ...] = ()
    reload: str | None = None


def _shape(node: ast.AST) -> str:
    """A node with every function body it contains replaced by nothing (line numbers
    ignored): two versions with the same shape differ only inside function bodies."""

    class Hollow(ast.NodeTransformer):
        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
            return self._hollow(node)

        def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
            return self._hollow(node)

        def _hollow(self, node: Function) -> ast.AST:
            node.body = []  # a deep copy's: the parsed tree stays whole
            return node

    return ast.dump(Hollow().visit(copy.deepcopy(node)), include_attributes=False)


def _functions(body: Iterable[ast.stmt], prefix: str = "") -> dict[str, Function]:
    """The functions a module defines at top level and in its classes, by qualified name."""
    out: dict[str, Function] = {}
    for node in body:
        if isinstance(node, FUNCTIONS):
            out[prefix + node.name] = node
        elif isinstance(node, ast.ClassDef):
            out.update(_functions(node.body, f"{prefix}{node.name}."))
    return out


def _body(function: Function) -> str:
    return ast.dump(ast.Module(body=function.body, type_ignores=[]), include_attributes=False)


def plan(old: str, new: str, name: str) -> Plan:
    """Decide for the file ``name`` saved as ``new`` over ``old`` (what the process runs)."""
    try:
        new_tree = ast.parse(new)
    except SyntaxError as exc:
        return Plan(reload=f"{name} has a syntax error at line {exc.lineno}")
    try:
        old_tree = ast.parse(old)
    except SyntaxError:
        return Plan(reload=f"{name} did not parse before this edit")
    old_top, new_top = old_tree.body, new_tree.body
    if len(old_top) != len(new_top) or any(
        _shape(a) != _shape(b) for a, b in zip(old_top, new_top)
    ):
        return Plan(reload=_what_changed(old_top, new_top, name))
    old_functions, new_functions = _functions(old_top), _functions(new_top)
    changed = tuple(
        qualname
        for qualname, function in new_functions.items()
        if _body(function) != _body(old_functions[qualname])
    )
    decorated = [q for q in changed if new_functions[q].decorator_list]
    if decorated:
        return Plan(reload=f"{decorated[0]} is decorated (the server holds the decorator's result)")
    loaders = [q for q in changed if _loads_the_model(q)]
    if loaders:
        return Plan(reload=f"{loaders[0]} changed (the model is loaded again)")
    # Functions an edit above them moved: their new line numbers, so that breakpoints set in
    # the saved file hit them (a moved model_fn is not run again; its new lines are harmless).
    moved = tuple(
        qualname
        for qualname, function in new_functions.items()
        if qualname not in changed
        and not function.decorator_list
        and function.lineno != old_functions[qualname].lineno
    )
    return Plan(functions=changed + moved)


def _loads_the_model(qualname: str) -> bool:
    owner, _, name = qualname.rpartition(".")
    return name in MODEL_LOADERS or bool(owner and name in MODEL_LOADER_METHODS)


def _what_changed(old: list[ast.stmt], new: list[ast.stmt], name: str) -> str:
    """Name the first top-level statement that differs beyond function bodies."""
    pairs = [(a, b) for a, b in zip(old, new) if _shape(a) != _shape(b)]
    if not pairs:
        return f"a statement was added to or removed from {name}'s end"
    a, b = pairs[0]
    if isinstance(a, (ast.Import, ast.ImportFrom)) or isinstance(b, (ast.Import, ast.ImportFrom)):
        return f"an import in {name} changed"
    if isinstance(b, (*FUNCTIONS, ast.ClassDef)) and type(a) is type(b) and a.name == b.name:
        what = "its methods' bodies" if isinstance(b, ast.ClassDef) else "its body"
        return f"{b.name} changed beyond {what} (signature, decorators or defaults)"
    if len(old) != len(new):
        return f"a statement was added to or removed from {name} (line {b.lineno})"
    return f"module-level code of {name} changed (line {b.lineno})"


@dataclass
class Snapshot:
    """The text of each Python file of a serving source as its processes last loaded it."""

    root: str
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, root: str, files: Iterable[str]) -> Snapshot:
        snapshot = cls(root)
        snapshot.update(f for f in files if f.endswith(".py"))
        return snapshot

    def update(self, files: Iterable[str], known: Mapping[str, str] | None = None) -> None:
        """Record ``files`` as loaded: with the text ``known`` holds for a file (the text
        the decision was made on: a save that lands meanwhile is still a change), else as
        read now."""
        for path in files:
            if known is not None and path in known:
                self.texts[path] = known[path]
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    self.texts[path] = f.read()
            except (OSError, UnicodeDecodeError):
                self.texts.pop(path, None)


@dataclass(frozen=True)
class Decision:
    """For one save: the files' functions to apply in place, or why the workers reload."""

    changes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (local file, functions)
    reload: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)  # each file as it was decided on


def decide(files: list[str], snapshot: Snapshot, read: Callable[[str], str]) -> Decision:
    """Combine :func:`plan` over every saved file; one file needing a reload reloads all."""
    changes = []
    texts: dict[str, str] = {}
    for path in files:
        name = os.path.basename(path)
        if not path.endswith(".py"):
            return Decision(reload=f"{name} is not Python code", texts=texts)
        if path not in snapshot.texts:
            return Decision(reload=f"{name} is new", texts=texts)
        try:
            text = read(path)
        except (OSError, UnicodeDecodeError):
            return Decision(reload=f"{name} cannot be read", texts=texts)
        texts[path] = text
        verdict = plan(snapshot.texts[path], text, name)
        if verdict.reload:
            return Decision(reload=verdict.reload, texts=texts)
        if verdict.functions:
            changes.append((path, verdict.functions))
    return Decision(changes=tuple(changes), texts=texts)


def container_path(local: str, mappings: list[tuple[str, str]]) -> str | None:
    """Where the container sees the local file ``local`` (its source mapping's remote)."""
    for root, remote in mappings:
        relative = os.path.relpath(local, root)
        if not relative.startswith(os.pardir + os.sep) and relative != os.pardir:
            return remote.rstrip("/") + "/" + relative.replace(os.sep, "/")
    return None


def request(changes: tuple[tuple[str, tuple[str, ...]], ...], mappings: list[tuple[str, str]]):
    """The applier's argument: ``[{"path": container file, "functions": [...]}]``."""
    out = []
    for local, functions in changes:
        remote = container_path(local, mappings)
        if remote is None:
            raise ValueError(f"{os.path.basename(local)} is not in the container")
        out.append({"path": remote, "functions": list(functions)})
    return out


@dataclass(frozen=True)
class Outcome:
    """What the container's processes answered: how many took the edit, or why not."""

    processes: int
    applied: tuple[str, ...]
    problem: str | None = None


def outcome(answers: list[dict]) -> Outcome:
    """Sum up the applier's answers; a single failure fails the whole (then reload)."""
    if not answers:
        return Outcome(0, (), "no debugged process listens for edits in the container")
    applied: set[str] = set()
    took = 0
    for answer in answers:
        if answer.get("error"):
            return Outcome(0, (), f"process {answer.get('pid')}: {answer['error']}")
        if answer.get("applied"):
            took += 1
            applied.update(answer["applied"])
    return Outcome(took, tuple(sorted(applied)))


def apply_in(container, changes: list[dict]) -> list[dict]:
    """Run the applier in ``container`` (a docker SDK container); its answers."""
    code, output = container.exec_run([*APPLIER, json.dumps(changes)], user="root", demux=True)
    stdout = (output[0] or b"").decode("utf-8", "replace") if output else ""
    if code != 0:
        stderr = (output[1] or b"").decode("utf-8", "replace") if output else ""
        last = (stderr.strip().splitlines() or [f"exit status {code}"])[-1]
        raise OSError(f"the in-container applier failed: {last}")
    return json.loads(stdout.strip().splitlines()[-1])

"""debugpy's bytecode, compiled once per image by its Python and loaded by the payload."""

from __future__ import annotations

import os
import subprocess
import sys

import _smdebug_local_bytecode as bytecode

PAYLOAD = os.path.dirname(os.path.abspath(bytecode.__file__))


def _tree(tmp_path, answer):
    tree = tmp_path / "debugpy" / "1.8.99"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("")
    (tree / "pkg" / "mod.py").write_text(f"ANSWER = {answer!r}\n")
    (tree / "broken.py").write_text("def (:\n")
    return tree


def _import_answer(tree, root):
    """In a fresh interpreter: install, import pkg.mod from the tree, say what it holds."""
    code = (
        f"import sys; sys.path.insert(0, {PAYLOAD!r}); import _smdebug_local_bytecode as b; "
        f"print(b.install({str(tree)!r}, {str(root)!r})); sys.path.insert(0, {str(tree)!r}); "
        "import pkg.mod; print(pkg.mod.ANSWER, pkg.mod.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_modules_load_from_the_kept_bytecode_and_nothing_else_changes(tmp_path):
    tree = _tree(tmp_path, "compiled")
    root = tmp_path / "bytecode"
    assert bytecode.compile_tree(str(tree), str(root)) == 2  # broken.py is left out
    (tree / "pkg" / "mod.py").write_text("ANSWER = 'source'\n")  # the kept code is loaded
    installed, answer, path = _import_answer(tree, root)
    assert (installed, answer) == ("True", "compiled")
    assert path == str(tree / "pkg" / "mod.py")  # __file__, tracebacks: the source's


def test_without_bytecode_for_this_python_the_source_is_compiled_as_before(tmp_path):
    tree = _tree(tmp_path, "source")
    assert _import_answer(tree, tmp_path / "nothing-here")[:2] == ["False", "source"]
    root = tmp_path / "bytecode"
    bytecode.compile_tree(str(tree), str(root))
    os.remove(os.path.join(str(root), sys.implementation.cache_tag, "1.8.99", ".complete"))
    assert _import_answer(tree, root)[:2] == ["False", "source"]  # cut short: not taken


def test_a_kept_file_of_another_interpreter_is_compiled_from_source(tmp_path):
    tree = _tree(tmp_path, "source")
    root = tmp_path / "bytecode"
    bytecode.compile_tree(str(tree), str(root))
    kept = bytecode.compiled_path(str(root), str(tree), str(tree / "pkg" / "mod.py"))
    with open(kept, "r+b") as f:
        f.write(b"\0\0\0\0")  # another magic number
    assert _import_answer(tree, root)[:2] == ["True", "source"]

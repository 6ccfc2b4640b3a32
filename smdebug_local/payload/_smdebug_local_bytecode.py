"""debugpy's compiled bytecode for a container's Python, so a debugged process does not
compile pydevd again at every start.

The debugpy tree reaches containers as a read-only mount, where Python cannot write its
``__pycache__``: every debugged process (and debugpy's adapter beside it) compiled pydevd
from source, about 0.2 s of each start (0.30-0.35 s -> 0.11 s for ``import pydevd`` in the
PyTorch serving image, measured). The host therefore has the image's own Python compile
the tree once per image (:func:`main`, in a throw-away container of that image), keeps the
result in its cache and mounts it read-only beside the tree; :func:`install` makes the
imports of the tree's modules load it. Bytecode of one image is only ever mounted into
containers of that image: no image's code reaches another's.

Layout: ``<root>/<cache tag>/<debugpy version>/<path in the version's tree>c``, each file
the interpreter's magic number followed by the marshalled code object. Any file missing or
unreadable, or of another interpreter, falls back to compiling the source as before.

Stdlib only, Python 3.8 syntax (runs in the container).
"""

import importlib.machinery
import importlib.util
import marshal
import os
import sys

MAGIC = importlib.util.MAGIC_NUMBER
MARKER = ".complete"
# Where the host mounts the bytecode of the container's image (when it has it yet).
ROOT = "/opt/smdebug-local/bytecode"


def compiled_path(root, tree, source):
    """Where the bytecode of ``source`` (a file under ``tree``, a debugpy version's
    directory) is kept under ``root``."""
    version = os.path.basename(tree.rstrip(os.sep))
    relative = os.path.relpath(source, tree)
    return os.path.join(root, sys.implementation.cache_tag, version, relative + "c")


def _loader_for(root, tree):
    class CompiledLoader(importlib.machinery.SourceFileLoader):
        """A source loader that takes the host-kept bytecode when there is one."""

        def get_code(self, fullname):
            try:
                with open(compiled_path(root, tree, self.path), "rb") as f:
                    data = f.read()
                if data[:4] == MAGIC:
                    return marshal.loads(data[4:])
            except (OSError, ValueError, EOFError, TypeError):
                pass
            return super().get_code(fullname)

    return CompiledLoader


def install(tree, root=ROOT):
    """Load the modules under ``tree`` (one debugpy version's directory) from the
    bytecode kept under ``root`` for this interpreter; False if there is none. A path hook
    for the tree's directories only: every other import is untouched and costs nothing."""
    base = os.path.join(root, sys.implementation.cache_tag, os.path.basename(tree))
    if not os.path.isfile(os.path.join(base, MARKER)):
        return False
    loaders = [
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
        (_loader_for(root, tree), importlib.machinery.SOURCE_SUFFIXES),
        (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
    ]
    prefix = tree.rstrip(os.sep) + os.sep

    def hook(path):
        if path != tree and not path.startswith(prefix):
            raise ImportError("not debugpy's")
        return importlib.machinery.FileFinder(path, *loaders)

    sys.path_hooks.insert(0, hook)
    for entry in list(sys.path_importer_cache):  # finders made before the hook was there
        if entry == tree or entry.startswith(prefix):
            del sys.path_importer_cache[entry]
    return True


def compile_tree(tree, root):
    """Compile every module under ``tree`` for this interpreter into ``root``; the marker
    last, so a tree cut short is never taken. Returns how many modules were compiled."""
    count = 0
    for directory, _, files in os.walk(tree):
        for name in files:
            if not name.endswith(".py"):
                continue
            source = os.path.join(directory, name)
            try:
                with open(source, "rb") as f:
                    code = compile(f.read(), source, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, OSError):
                continue  # a module this Python cannot run: compiled from source if ever
            target = compiled_path(root, tree, source)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(MAGIC + marshal.dumps(code))
            count += 1
    base = os.path.join(root, sys.implementation.cache_tag, os.path.basename(tree))
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, MARKER), "w") as f:
        f.write("%d\n" % count)
    return count


def main(argv):
    """``python _smdebug_local_bytecode.py <debugpy dir> <root>``: compile the debugpy
    version this interpreter loads (in a throw-away container of the image)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _smdebug_local_boot as boot

    version = boot.debugpy_version_for(sys.version_info)
    if version is None:
        return 2
    count = compile_tree(os.path.join(argv[1], version), argv[2])
    sys.stdout.write("%s %s %d\n" % (sys.implementation.cache_tag, version, count))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

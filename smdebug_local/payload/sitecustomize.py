"""smdebug-local's sitecustomize hook (first on PYTHONPATH inside debugged containers).

A ``sitecustomize`` on PYTHONPATH shadows the one the image ships (Debian's, conda's and
the Deep Learning Containers' all have one), so this module first runs the image's own
``sitecustomize`` -- under that name, as Python would have -- and then hands over to the
bootstrap, which starts debugpy only in the user's entry-point process. Nothing here may
stop the interpreter from starting: errors from the bootstrap become one stderr line.
"""

import os
import sys


def _chain_original():
    """Execute the next ``sitecustomize`` on sys.path, i.e. the one we shadow."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _chain_original()
finally:
    try:
        import _smdebug_local_boot

        _smdebug_local_boot.main()
    except Exception as _exc:
        sys.stderr.write("smdebug-local: debugger not started (%r); running without it\n" % _exc)

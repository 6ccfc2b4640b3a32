"""Files smdebug-local renders into users' workspaces (installed as ``smdebug_local.templates``).

They are data, kept apart from the code that fills them in (``smdebug_local/ide/``), and
ship inside the wheel: ``tests/integration/test_packaging.py`` renders every one of them
from a wheel installed in a fresh virtualenv.
"""

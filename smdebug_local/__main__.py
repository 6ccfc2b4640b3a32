"""``python -m smdebug_local``: the ``smdebug-local`` command, for when only the interpreter's
path is known (VS Code's task shell may not have the virtualenv's ``bin`` on PATH)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="smdebug-local")

"""IPython extension: ``%load_ext smdebug_local`` and the ``%smdebug_local`` magic.

Notebooks are where most local-mode work happens, and a notebook cannot be started under
``smdebug-local run``. Loading the extension turns debugging on for the kernel (as
:func:`smdebug_local.enable` does); the magic turns it off and on again or shows where to
attach::

    %load_ext smdebug_local              # debugging on: port 5678, training waits
    %smdebug_local off                   # local mode exactly as before
    %smdebug_local on --no-wait --port 6000
    %smdebug_local status                # the debug targets and where to attach
    %smdebug_local stacks                # every debugged process's threads, grouped

Errors (Docker down, port taken, ...) are one line in the cell's output, never a traceback.
"""

from __future__ import annotations

import shlex
import sys

from . import messages
from .api import active, disable, enable
from .errors import SmdebugError


def parse(line: str) -> tuple[str, dict]:
    """``"on --port 6000 --no-wait"`` -> ``("on", {"port": 6000, "wait": False})``."""
    words = shlex.split(line)
    command = words.pop(0) if words else "on"
    options: dict = {}
    while words:
        word = words.pop(0)
        if word in ("--wait", "--no-wait"):
            options["wait"] = word == "--wait"
        elif word in ("--post-mortem", "--no-post-mortem"):
            options["post_mortem"] = word == "--post-mortem"
        elif word in ("--port", "--bind") and words:
            value = words.pop(0)
            if word == "--port":
                if not value.isdigit():
                    raise messages.NOTEBOOK_USAGE.error(problem=f"--port {value!r} is not a number")
                options["port"] = int(value)
            else:
                options["bind"] = value
        else:
            raise messages.NOTEBOOK_USAGE.error(problem=f"unknown argument {word!r}")
    if command not in ("on", "off", "status", "stacks") or (options and command != "on"):
        raise messages.NOTEBOOK_USAGE.error(problem=f"unknown command {line.strip()!r}")
    return command, options


def _status() -> str:
    session = active()
    if session is None:
        return "smdebug-local: debugging is off (`%smdebug_local on` turns it on)"
    lines = [f"smdebug-local: debugging is on (run {session.run_id})"]
    for t in session.targets:
        mapping = f" ({t.mappings[0][0]} -> {t.mappings[0][1]})" if t.mappings else ""
        lines.append(f"  {t.role} {t.host}: {', '.join(t.endpoints)}{mapping}")
    if not session.targets:
        lines.append("  no containers yet: they appear at fit()/deploy()/run()")
    return "\n".join(lines)


def _stacks() -> str:
    from .engine import Engine
    from .stacks import collect, render

    session = active()
    if session is None:
        return "smdebug-local: debugging is off (`%smdebug_local on` turns it on)"
    processes, seconds = collect(Engine(), session.run_id)
    if not processes:
        return "smdebug-local: no debugged process is running yet"
    return render(session.run_id, "this notebook", processes, seconds)


def magic(line: str) -> None:
    """``%smdebug_local on|off|status|stacks``: the outcome, or one line of error."""
    try:
        command, options = parse(line)
        if command == "on":
            disable()
            session = enable(**options)
            wait = {
                None: "training waits for a debugger",
                True: "every container waits",
                False: "nothing waits",
            }[session.options.wait]
            print(
                f"smdebug-local: debugging on from port {session.options.port} ({wait}); "
                "`%smdebug_local off` to stop"
            )
        elif command == "off":
            disable()
            print("smdebug-local: debugging off; its containers were removed")
        elif command == "stacks":
            print(_stacks())
        else:
            print(_status())
    except SmdebugError as err:
        print(f"smdebug-local: error: {err}", file=sys.stderr)


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(magic, magic_kind="line", magic_name="smdebug_local")
    magic("on")


def unload_ipython_extension(ipython) -> None:
    disable()

"""User-facing options shared by the CLI and :func:`smdebug_local.enable`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import messages

DEFAULT_PORT = 5678
LOOPBACK = "127.0.0.1"
MODES = ("listen", "connect")
ON_CHANGE = ("cancel", "queue")
IDES = ("pycharm", "vscode")
# How long a crashed process waits for someone to attach before it fails as it would have.
DEFAULT_POST_MORTEM_TIMEOUT = 600.0
# PyCharm's Debug Server maps paths itself, one configuration per role: each role connects
# to its own port, ``port + offset`` (the configurations `init pycharm` writes).
PYCHARM_PORT_OFFSETS = {"training": 0, "serving": 1, "processing": 2}
# How containers reach the host in connect mode (mapped to the host gateway with
# `extra_hosts: host-gateway`; Docker Desktop resolves it by itself).
HOST_FROM_CONTAINER = "host.docker.internal"


@dataclass(frozen=True)
class DebugOptions:
    """How containers are debugged.

    port          -- first host port for debug endpoints; each container gets the next free one
    port_explicit -- the user chose ``port``: it must be free (no silent move)
    wait          -- wait for a debugger before user code runs: None = each role's default
                     (training waits, serving does not), True/False = every role
    bind          -- host address debug ports are published on; loopback unless asked
    path_mappings -- extra ``(local_dir, container_dir)`` pairs, for code baked into images
    mode          -- "listen": each debuggable process listens on a published port and the
                     IDE attaches to it; "connect": each connects back to the IDE, which
                     listens on ``port`` (re-attaches across reruns by itself)
    watch         -- follow the source folders: rerun training and processing jobs, reload
                     endpoints on changes
    on_change     -- a change while a rerun is going on: "cancel" it or "queue" the change
    interrupt_paused -- apply changes even while a debugger is paused in the container
    ide           -- "pycharm": containers connect back to PyCharm's Debug Server with
                     pydevd-pycharm of ``pycharm_build`` (implies connect mode);
                     "vscode": .vscode/launch.json follows the run's real ports
    debug_driver  -- also debug the driver process itself (listen mode, next free port)
    ranks         -- of a distributed training job's ranks (torchrun, MPI), debug only these;
                     None: all
    post_mortem   -- a crashed process (uncaught exception, an exception escaping a
                     handler or a DataLoader worker) pauses for an IDE to attach, up to
                     ``post_mortem_timeout`` seconds (the CLI and enable() turn it on
                     where a person can attach: :func:`person_present`)
    """

    port: int = DEFAULT_PORT
    port_explicit: bool = False
    wait: bool | None = None
    bind: str = LOOPBACK
    path_mappings: tuple[tuple[str, str], ...] = ()
    mode: str = "listen"
    watch: bool = False
    on_change: str = "cancel"
    interrupt_paused: bool = False
    ide: str | None = None
    pycharm_build: str | None = None
    debug_driver: bool = False
    ranks: tuple[int, ...] | None = None
    post_mortem: bool | None = None
    post_mortem_timeout: float = DEFAULT_POST_MORTEM_TIMEOUT

    def __post_init__(self) -> None:
        if self.post_mortem_timeout <= 0:
            raise messages.POST_MORTEM_TIMEOUT.error(seconds=self.post_mortem_timeout)
        if not 1 <= self.port <= 65535:
            raise messages.PORT_RANGE.error(port=self.port)
        if self.debug_driver and self.mode != "listen":
            raise messages.DRIVER_CONNECT.error()
        if self.mode not in MODES:
            raise messages.CHOICE.error(option="--mode", value=self.mode, choices=", ".join(MODES))
        if self.ide is not None and self.ide not in IDES:
            raise messages.CHOICE.error(option="--ide", value=self.ide, choices=", ".join(IDES))
        if self.ide == "pycharm" and self.mode != "connect":
            raise messages.PYCHARM_LISTEN.error()
        if self.on_change not in ON_CHANGE:
            raise messages.CHOICE.error(
                option="--on-change", value=self.on_change, choices=", ".join(ON_CHANGE)
            )
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            raise messages.BIND_NOT_IP.error(bind=self.bind) from None

    @classmethod
    def from_user(
        cls, port: int | None = None, *, mode: str | None = None, **options: Any
    ) -> DebugOptions:
        """Options as a user gave them: a port given at all is a port that must be free; no
        mode means listen, or connect with PyCharm (its Debug Server listens). A mode the
        user chose is kept, so ``--ide pycharm --mode listen`` is an error, not a switch."""
        options["mode"] = mode or ("connect" if options.get("ide") == "pycharm" else "listen")
        return cls(
            port=DEFAULT_PORT if port is None else port, port_explicit=port is not None, **options
        )

    @staticmethod
    def parse_mapping(text: str) -> tuple[str, str]:
        """``LOCAL=REMOTE`` -> ``(absolute local dir, container dir)``."""
        local, sep, remote = text.partition("=")
        if not sep or not local or not remote.startswith("/"):
            raise messages.MAP_SYNTAX.error(text=text)
        path = Path(local).expanduser().resolve()
        if not path.is_dir():
            raise messages.MAP_NOT_DIR.error(local=local)
        return str(path), remote.rstrip("/") or "/"

    @staticmethod
    def parse_ranks(text: str | None) -> tuple[int, ...] | None:
        """``all`` (or nothing) -> None; ``0`` or ``0,2`` -> the ranks to debug."""
        if text is None or text.strip() == "all":
            return None
        parts = [p.strip() for p in text.split(",")]
        if not all(p.isdecimal() for p in parts):
            raise messages.RANKS_SYNTAX.error(text=text)
        return tuple(sorted({int(p) for p in parts}))

    @property
    def post_mortem_seconds(self) -> float | None:
        """How long a crashed process waits for an IDE (None: it does not wait). Only in
        listen mode with debugpy: there the process's own endpoint is where to attach."""
        if not self.post_mortem or self.mode != "listen" or self.ide == "pycharm":
            return None
        return self.post_mortem_timeout

    @property
    def exposed(self) -> bool:
        """True when debug ports are reachable from other machines (a security risk)."""
        return self.mode == "listen" and not ipaddress.ip_address(self.bind).is_loopback


def person_present(environ: Mapping[str, str], stdin_is_tty: bool, notebook: bool) -> bool:
    """True where someone can attach to a crashed process: a terminal or a notebook, and
    not CI (its runners set ``CI``; nobody would attach there, and a job would hang for the
    timeout instead of failing)."""
    if environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return stdin_is_tty or notebook

"""User-facing options shared by the CLI and :func:`smdebug_local.enable`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .errors import SmdebugError

DEFAULT_PORT = 5678
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DebugOptions:
    """How containers are debugged.

    port          -- first host port for debug endpoints; each container gets the next free one
    port_explicit -- the user chose ``port``: it must be free (no silent move)
    wait          -- training entry points wait for a debugger before their first line
    bind          -- host address debug ports are published on; loopback unless asked
    """

    port: int = DEFAULT_PORT
    port_explicit: bool = False
    wait: bool = True
    bind: str = LOOPBACK

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise SmdebugError(f"port {self.port} is out of range; use 1-65535 (e.g. --port 5678)")
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            raise SmdebugError(
                f"--bind {self.bind!r} is not an IP address; use 127.0.0.1 (default) or an "
                "address of this machine"
            ) from None

    @property
    def exposed(self) -> bool:
        """True when debug ports are reachable from other machines (a security risk)."""
        return not ipaddress.ip_address(self.bind).is_loopback

"""A stand-in for the run's relay in unit tests (tests of pure logic listen on no port)."""

from __future__ import annotations


class RecordingRelay:
    """Stands in for the run's relay (smdebug_local.relay.Relay) in tests of pure logic:
    records the routes instead of listening on the host's ports."""

    def __init__(self) -> None:
        self.routes: dict[int, tuple] = {}

    def route(self, port, container, container_port) -> None:
        self.routes[port] = (container, container_port)

    def release(self, ports) -> None:
        for port in list(ports):
            self.routes.pop(port, None)

    def close(self) -> None:
        self.routes.clear()

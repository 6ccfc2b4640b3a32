"""How the host side talks to the user: one ``smdebug-local: ...`` line on stderr.

Notes that may recur (a role not debugged, a folder not found) are said once per run.
"""

from __future__ import annotations

import sys
import threading


def say(message: str) -> None:
    print(f"smdebug-local: {message}", file=sys.stderr, flush=True)


class Notices:
    """Says each distinct message once (thread-safe: compose runs on the SDK's threads)."""

    def __init__(self) -> None:
        self._said: set[str] = set()
        self._lock = threading.Lock()

    def once(self, message: str) -> None:
        with self._lock:
            if message in self._said:
                return
            self._said.add(message)
        say(message)

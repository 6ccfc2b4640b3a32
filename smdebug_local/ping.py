"""The endpoint's ``/ping`` wait, replacing local mode's own while a debugger may pause.

Local mode waits for ``/ping`` a fixed time; with ``model_fn`` paused at a breakpoint that
time runs out. This wait allows an hour, says every 30 s that it is still waiting, and
fails at once -- quoting the container -- when a serving container of the run died.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

# How long an endpoint may take to answer /ping while debugging (model_fn may be paused at
# a breakpoint); a container that dies is reported at once instead.
SERVING_READY_LIMIT = 3600.0
PING_INTERVAL = 0.5
STILL_WAITING_EVERY = 30.0


def wait_until_serving(ping_url: str, failures: Callable[[], list[str]],
                       say: Callable[[str], None]) -> None:
    """Wait for ``ping_url`` to answer 200; ``failures()`` lists dead containers (fatal)."""
    started = time.monotonic()
    next_note = started + STILL_WAITING_EVERY
    while True:
        try:
            with urllib.request.urlopen(ping_url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        dead = failures()
        if dead:
            raise RuntimeError("the serving container stopped: " + "; ".join(dead))
        now = time.monotonic()
        if now - started > SERVING_READY_LIMIT:
            raise RuntimeError(f"endpoint did not answer {ping_url} within "
                               f"{SERVING_READY_LIMIT:.0f}s")
        if now >= next_note:
            next_note = now + STILL_WAITING_EVERY
            say(f"still waiting for {ping_url} after {now - started:.0f}s (model loading, "
                "or paused at a breakpoint)")
        time.sleep(PING_INTERVAL)

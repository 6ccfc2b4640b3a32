"""The endpoint's ``/ping`` wait, replacing local mode's own while a debugger may pause.

Local mode waits for ``/ping`` a fixed time; with ``model_fn`` paused at a breakpoint that
time runs out. This wait allows an hour, says every 30 s that it is still waiting, and
fails within a second -- quoting the container -- when a serving container of the run died.

It makes no request itself: the adapter hands it the SDK's own (:class:`ServingWait`), so
it reaches the endpoint exactly as local mode does (no proxy, the SDK's docker host).

An image that is not on this machine is not a failure while ``docker compose up`` still
runs: compose pulls every image the SDK did not pull itself (anything but ECR), and the
endpoint answers once that pull ends. Only when compose has ended and nothing answers is the
missing image (or compose's exit code) the reason given.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sdk import ServingWait

# How long an endpoint may take to answer /ping while debugging (model_fn may be paused at
# a breakpoint); a container that dies is reported at once instead.
SERVING_READY_LIMIT = 3600.0
PING_INTERVAL = 0.5
STILL_WAITING_EVERY = 30.0


def wait_until_serving(
    endpoint: ServingWait,
    exited: Callable[[], list[str]],
    explain: Callable[[], list[str]],
    say: Callable[[str], None],
) -> None:
    """Wait until ``endpoint.ping()`` answers 200.

    ``exited()`` lists the serving containers of the run that died (fatal at once);
    ``explain()`` lists everything that went wrong in the run, missing images included
    (asked only once the endpoint's compose has ended, when nothing can answer any more).
    """
    started = time.monotonic()
    limit = max(SERVING_READY_LIMIT, endpoint.timeout or 0)
    next_note = started + STILL_WAITING_EVERY
    while True:
        if endpoint.ping():
            return
        dead = exited()
        if dead:
            raise RuntimeError("the serving container stopped: " + "; ".join(dead))
        code = endpoint.compose_exit()
        if code is not None:
            reasons = explain() or [
                f"docker compose exited with code {code} before {endpoint.ping_url} answered "
                "(local mode hides compose's errors): check that the image can be pulled and "
                "the serving port is free"
            ]
            raise RuntimeError("the endpoint never started: " + "; ".join(reasons))
        now = time.monotonic()
        if now - started > limit:
            raise RuntimeError(
                f"endpoint did not answer {endpoint.ping_url} within "
                f"{limit:.0f}s; check the container's output above"
            )
        if now >= next_note:
            next_note = now + STILL_WAITING_EVERY
            say(
                f"still waiting for {endpoint.ping_url} after {now - started:.0f}s (image "
                "pull, model loading, or paused at a breakpoint)"
            )
        time.sleep(PING_INTERVAL)

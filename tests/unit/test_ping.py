"""The endpoint's /ping wait: reached as the SDK reaches it, patient with a pull, quick to
report a dead container (issue 16, items 1-3)."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from smdebug_local import ping
from smdebug_local.sdk import ServingWait
from smdebug_local.sdk.compose_file import ComposeFileAdapter


class Server(http.server.ThreadingHTTPServer):
    """A loopback HTTP server answering every GET with ``status``, counting the requests."""

    def __init__(self, status: int) -> None:
        self.status, self.requests = status, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


@pytest.fixture
def server():
    servers = []

    def start(status: int) -> Server:
        servers.append(Server(status))
        return servers[-1]

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


class PingOnly:
    """Hooks whose wait is the real one, with no container of the run ever failing."""

    def wait_until_serving(self, endpoint: ServingWait) -> None:
        ping.wait_until_serving(endpoint, exited=list, explain=list, say=print)


def test_the_wait_never_goes_through_a_proxy(server, monkeypatch):
    """HTTP_PROXY set and NO_PROXY not naming localhost (corporate machines): the SDK's own
    wait (urllib3) answers at once, and so must ours -- urllib.request went to the proxy."""
    from sagemaker.local import entities

    endpoint, proxy = server(200), server(502)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(entities, "get_docker_host", lambda: "localhost")
    adapter = ComposeFileAdapter("sagemaker.local")
    adapter.install(PingOnly())
    try:
        waiting = threading.Thread(
            target=entities._wait_for_serving_container, args=(endpoint.port,), daemon=True
        )
        started = time.monotonic()
        waiting.start()
        waiting.join(10)
        took = time.monotonic() - started
    finally:
        adapter.uninstall()
    assert not waiting.is_alive(), "the wait still hangs with a proxy set"
    assert took < 2
    assert endpoint.requests == ["/ping"] and proxy.requests == []


def endpoint_after(pings: int, compose_exit=lambda: None, timeout=None) -> ServingWait:
    """An endpoint answering its ``pings``-th ping (never if 0)."""
    count = iter(range(1, 10**6))
    return ServingWait(
        "http://localhost:8080/ping", lambda: next(count) == pings, compose_exit, timeout
    )


def test_a_missing_image_is_waited_for_while_compose_pulls_it(monkeypatch):
    """Compose pulls what the SDK did not (any non-ECR image): the missing image is not a
    failure while compose runs, and the endpoint answers once the pull ends."""
    monkeypatch.setattr(ping, "PING_INTERVAL", 0.01)
    explained = []

    def explain() -> list[str]:
        explained.append(1)
        return ["image example/serving:1 is not on this machine and could not be pulled"]

    ping.wait_until_serving(endpoint_after(50), exited=list, explain=explain, say=print)
    assert explained == []


def test_a_dead_container_fails_the_wait_at_once_quoting_it():
    dead = ["serving container abc-algo-1 exited with code 1: ImportError: no module named x"]
    started = time.monotonic()
    with pytest.raises(
        RuntimeError, match="stopped: serving container abc-algo-1 exited with code 1: ImportError"
    ):
        ping.wait_until_serving(endpoint_after(0), exited=lambda: dead, explain=list, say=print)
    assert time.monotonic() - started < 1


def test_once_compose_has_ended_the_missing_image_is_the_reason():
    missing = ["image example/serving:1 is not on this machine and could not be pulled"]
    with pytest.raises(RuntimeError, match="never started: image example/serving:1 is not"):
        ping.wait_until_serving(
            endpoint_after(0, compose_exit=lambda: 1),
            exited=list,
            explain=lambda: missing,
            say=print,
        )
    with pytest.raises(
        RuntimeError,
        match="docker compose exited with code 1 before http://localhost:8080/ping answered",
    ):
        ping.wait_until_serving(
            endpoint_after(0, compose_exit=lambda: 1), exited=list, explain=list, say=print
        )


def test_the_sdk_timeout_only_ever_lengthens_the_wait(monkeypatch):
    """SDK 3.x passes local.health_check_timeout (120 s by default): a breakpoint in
    model_fn outlasts that, so our limit stays the longer of the two."""
    monkeypatch.setattr(ping, "PING_INTERVAL", 0.01)
    monkeypatch.setattr(ping, "SERVING_READY_LIMIT", 0.05)
    ping.wait_until_serving(endpoint_after(20, timeout=10), exited=list, explain=list, say=print)
    with pytest.raises(RuntimeError, match=r"did not answer .* within 0s"):
        ping.wait_until_serving(
            endpoint_after(0, timeout=0.01), exited=list, explain=list, say=print
        )

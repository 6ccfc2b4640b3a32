"""Behave as local mode does wherever the SDK runs: proxy variables, an image compose pulls,
an explicit DOCKER_HOST.

A bring-your-own-container model (the byoc-flask image, no training) is deployed and run as
a batch transform under ``smdebug-local run``; each must end exactly as plain local mode's
would.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).parent / "projects" / "environment"


class RecordingProxy(http.server.ThreadingHTTPServer):
    """An HTTP proxy that answers nothing useful and counts what reached it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                proxy.requests.append(f"{self.command} {self.path}")
                self.send_error(502, "recording proxy: this request should not be here")

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_CONNECT = _record

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "environment"
    shutil.copytree(PROJECT, dest)
    return dest


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["deploy", "transform"])
def test_proxy_variables_do_not_reroute_the_endpoint(project, byoc_image, proxy, start_run, mode):
    """Corporate machines set HTTP_PROXY without localhost in NO_PROXY: local mode's own
    requests (urllib3) ignore it, so smdebug-local's must too (the /ping wait hung for an
    hour when it went through the proxy)."""
    variables = {
        name: proxy.url for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy")
    }
    run = start_run(
        ["--no-wait", "driver.py", mode],
        cwd=project,
        env={"TEST_IMAGE": byoc_image, **variables, "NO_PROXY": "", "no_proxy": ""},
    )
    assert run.finish(timeout=300) == 0, run.output
    expected = "prediction: 46.0,47.0" if mode == "deploy" else "transform output: 46.0,47.0"
    assert run.saw(expected), run.output
    assert proxy.requests == [], proxy.requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """Debian's docker-registry serving on a loopback port (Docker trusts 127.0.0.0/8 over
    plain HTTP); its address."""
    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is not installed; the README's test command installs it"
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("docker-registry did not start")
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def test_an_image_compose_pulls_is_waited_for(project, byoc_image, registry, start_run):
    """The SDK pulls only ECR images itself: any other image is pulled by `compose up` in
    the background while the SDK already waits for /ping. The wait must not fail at the
    first unanswered ping because the image is not there yet. DOCKER_HOST is set to the
    engine's socket explicitly, as some users have it."""
    pulled = f"{registry}/smdebug-local-test/byoc-pulled:{os.getpid()}"
    subprocess.run(["docker", "tag", byoc_image, pulled], check=True)
    try:
        subprocess.run(["docker", "push", pulled], check=True, capture_output=True)
    finally:
        subprocess.run(["docker", "rmi", pulled], check=True, capture_output=True)
    assert (
        subprocess.run(["docker", "image", "inspect", pulled], capture_output=True).returncode != 0
    )
    try:
        run = start_run(
            ["--no-wait", "driver.py", "deploy"],
            cwd=project,
            env={"TEST_IMAGE": pulled, "DOCKER_HOST": "unix:///var/run/docker.sock"},
        )
        assert run.finish(timeout=300) == 0, run.output
        assert run.saw("prediction: 46.0,47.0"), run.output
        assert not run.saw("could not be pulled"), run.output
    finally:
        subprocess.run(["docker", "rmi", "-f", pulled], capture_output=True)

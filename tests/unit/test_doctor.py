"""doctor's checks that need no Docker: a hanging compose, an image's own Python."""

from __future__ import annotations

import time

from smdebug_local import doctor


def test_a_compose_that_never_answers_fails_the_check_in_time(monkeypatch):
    monkeypatch.setattr(doctor, "compose_command", lambda: ["sh", "-c", "sleep 30", "--"])
    monkeypatch.setattr(doctor, "COMPOSE_TIMEOUT", 0.5)
    started = time.monotonic()
    check = doctor._compose()
    assert time.monotonic() - started < 5
    assert check.status == "FAIL" and "did not answer" in check.detail


class OnlyPython:
    """An image whose interpreter is `python` (no `python3`)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def image_env(self, image):
        return {}

    def python(self, image, labels):
        return "python", (3, 11)

    def run_once(self, image, entrypoint, **options):
        self.commands.append(entrypoint)
        return 0, "172.17.0.1\n"


def test_the_host_gateway_probe_uses_the_images_own_python():
    engine = OnlyPython()
    checks = doctor._image(engine, "img", docker_ok=True)  # type: ignore[arg-type]
    assert [c.status for c in checks] == ["PASS", "PASS", "PASS"]
    assert engine.commands[0][0] == "python"

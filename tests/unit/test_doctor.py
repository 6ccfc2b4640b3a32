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
    assert [c.name for c in checks][:2] == ["image stack", "image python"]
    assert [c.status for c in checks] == ["PASS"] * 4
    assert engine.commands[0][0] == "python"


def test_the_image_stack_check_names_the_stack_an_image_says_it_runs():
    from smdebug_local.doctor import stack_check

    sklearn = {
        "SAGEMAKER_TRAINING_MODULE": "sagemaker_sklearn_container.training:main",
        "SAGEMAKER_SERVING_MODULE": "sagemaker_sklearn_container.serving:main",
    }
    check = stack_check(sklearn)
    assert check.status == "PASS"
    assert check.detail.startswith("training: scikit-learn: the entry point")
    assert "serving: scikit-learn: gunicorn and its gevent workers" in check.detail
    assert "serving: TensorFlow Serving: " in stack_check({"PATH": "/sagemaker:/usr/bin"}).detail
    assert "its processes decide (TorchServe, MMS" in stack_check({}).detail

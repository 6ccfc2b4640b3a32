"""Why a container failed, in words a user can act on (run reports and ``doctor``).

A container's own last words often hide the cause: "exec: train: not found" for an image
without Python, a connection error for an image still missing. The image checks here name
the cause and the fix; the same verdicts back ``doctor --image``.
"""

from __future__ import annotations

from . import messages
from .compose import LABEL_ROLE, LABEL_RUN
from .engine import Engine, engine_errors

MIN_PYTHON = (3, 8)


def python_problem(image: str, python: tuple[int, int] | None) -> tuple[str, str] | None:
    """``(problem, fix)`` of ``image``'s Python for debugging (None: nothing wrong)."""
    if python is None:
        return messages.IMAGE_NO_PYTHON.parts(image=image)
    if python < MIN_PYTHON:
        return messages.IMAGE_OLD_PYTHON.parts(image=image, version=f"{python[0]}.{python[1]}")
    return None


class Diagnosis:
    """The images and failed containers of one run, explained."""

    def __init__(self, engine: Engine, run_id: str) -> None:
        self._engine = engine
        self._run_id = run_id
        self._image_env: dict[str, dict[str, str] | None] = {}

    def image_env(self, image: str) -> dict[str, str] | None:
        """The image's environment; None if the image is not on this machine (yet).
        Looked up once per image; None explains a failed pull later."""
        if image not in self._image_env:
            self._image_env[image] = self._engine.image_env(image)
        return self._image_env[image]

    def failures(self, role: str | None = None) -> list[str]:
        """Everything that went wrong in this run: missing images, then failed containers;
        or that the engine itself went away."""
        try:
            return self.missing_images() + self.exited(role)
        except engine_errors():
            return [messages.DOCKER_LOST.text()]

    def missing_images(self) -> list[str]:
        """A line per image of this run not on this machine (compose may still pull it)."""
        for image, env in list(self._image_env.items()):
            if env is None:  # missing at compose time; local mode may have pulled it since
                self._image_env[image] = self._engine.image_env(image)
        return [
            messages.IMAGE_MISSING.text(image=image)
            for image, env in self._image_env.items()
            if env is None
        ]

    def exited(self, role: str | None = None) -> list[str]:
        """One line per container of this run that failed, quoting its last output; an
        image whose Python is missing or too old is said plainly."""
        lines = []
        for fail in self._engine.failures(LABEL_RUN, self._run_id, LABEL_ROLE):
            if role is not None and fail.role != role:
                continue
            found = self._engine.python(fail.image, {LABEL_RUN: self._run_id})
            problem = python_problem(fail.image, found[1] if found else None)
            if problem is not None:
                lines.append("; ".join(problem))
            else:
                last = " | ".join(fail.tail[-3:]) or "no output"
                lines.append(
                    f"{fail.role} container {fail.name} exited with code {fail.exit_code}: {last}"
                )
        return lines

"""``smdebug-local doctor``: is this machine ready to debug local-mode containers?

Each check is one line -- PASS, FAIL with the fix, WARN for something optional (the VS
Code extension), or SKIP when a check it depends on failed or does not apply -- in the
order a user would fix them. The same checks back the README's
Troubleshooting table.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import asdict, dataclass

from . import diagnose, runtimes
from .debuggers import debugpy
from .engine import Engine, compose_command
from .errors import SmdebugError
from .options import HOST_FROM_CONTAINER, DebugOptions
from .ports import PortAllocator, is_free

COMPOSE_TIMEOUT = 20.0  # compose_command() allows the same


@dataclass(frozen=True)
class Check:
    """One readiness check and its verdict."""

    name: str
    status: str  # PASS, FAIL, WARN (optional, the run works) or SKIP
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name:<16} {self.detail}"
        return text + (f" -- fix: {self.fix}" if self.fix else "")

    def as_dict(self) -> dict:
        return asdict(self)


def _failed(name: str, err: SmdebugError) -> Check:
    return Check(name, "FAIL", err.problem, err.fix)


def _docker(engine: Engine) -> Check:
    try:
        engine.ping()
    except SmdebugError as err:
        return _failed("docker engine", err)
    return Check(
        "docker engine", "PASS", f"reachable, version {engine.client.version()['Version']}"
    )


def _compose() -> Check:
    try:
        command = compose_command()
    except SmdebugError as err:
        return _failed("docker compose", err)
    try:
        version = subprocess.run(
            [*command, "version"], capture_output=True, text=True, timeout=COMPOSE_TIMEOUT
        ).stdout
    except subprocess.TimeoutExpired:
        return Check(
            "docker compose",
            "FAIL",
            f"`{' '.join(command)} version` did not answer in {COMPOSE_TIMEOUT:.0f}s",
            "check that Docker Compose runs by itself (`docker compose version`)",
        )
    return Check(
        "docker compose",
        "PASS",
        f"`{' '.join(command)}`: {(version.splitlines() or ['?'])[0].strip()}",
    )


def _sdk() -> Check:
    # doctor runs no user code: keep the SDK's import-time notices out of its report.
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    from .sdk import available_adapters

    try:
        adapters = available_adapters()
    except SmdebugError as err:
        return _failed("sagemaker sdk", err)
    from importlib import metadata

    shapes = ", ".join(a.name for a in adapters)
    return Check("sagemaker sdk", "PASS", f"sagemaker {metadata.version('sagemaker')} ({shapes})")


def _debugpy() -> Check:
    path = debugpy.debugpy_dir()
    if debugpy.is_ready():
        return Check("debugpy builds", "PASS", f"{', '.join(debugpy.versions())} in {path}")
    return Check(
        "debugpy builds",
        "FAIL",
        f"not prepared in {path}",
        "run `smdebug-local prefetch` (needs network once)",
    )


def _port(options: DebugOptions) -> Check:
    try:
        PortAllocator(options.port, bind=options.bind, explicit=True).check()
    except SmdebugError as err:
        return _failed("debug port", err)
    return Check("debug port", "PASS", f"{options.bind}:{options.port} is free")


def _image(engine: Engine, image: str, docker_ok: bool) -> list[Check]:
    if not docker_ok:
        return [
            Check("image python", "SKIP", "needs the docker engine"),
            Check("loopback publish", "SKIP", "needs the docker engine"),
        ]
    if engine.image_env(image) is None:
        return [
            Check(
                "image python",
                "FAIL",
                f"image {image} is not on this machine",
                f"docker pull {image} (or build it)",
            )
        ]
    checks = [stack_check(engine.image_env(image) or {})]
    found = engine.python(image, {})
    problem = diagnose.python_problem(image, found[1] if found else None)
    if found is None or problem is not None:
        checks.append(Check("image python", "FAIL", *(problem or ("no Python found", ""))))
    else:
        major, minor = found[1]
        checks.append(Check("image python", "PASS", f"{image} has Python {major}.{minor}"))
    if found is not None and checks[-1].status == "PASS":
        checks.append(_host_gateway(engine, image, found[0]))
    import docker.errors

    port = next(p for p in range(49152, 65535) if is_free(p))
    try:
        engine.run_once(image, ["true"], ports={"5678/tcp": ("127.0.0.1", port)})
        checks.append(Check("loopback publish", "PASS", f"published 127.0.0.1:{port} -> 5678"))
    except docker.errors.DockerException as exc:
        checks.append(
            Check(
                "loopback publish",
                "FAIL",
                str(exc).splitlines()[0][:160],
                "check Docker's port publishing (userland proxy, firewall)",
            )
        )
    return checks


def stack_check(environment: dict[str, str]) -> Check:
    """Which stack the image's environment names, and what its containers will debug."""
    return Check(
        "image stack",
        "PASS",
        "; ".join(
            f"{role}: {runtimes.describe(role, environment)}" for role in ("training", "serving")
        ),
    )


def _host_gateway(engine: Engine, image: str, python: str) -> Check:
    """Can a container reach this host as host.docker.internal (Docker 20.10+ host-gateway)?

    Containers that connect back to an IDE listening on the host need it.
    """
    import docker.errors

    code = f"import socket; print(socket.gethostbyname('{HOST_FROM_CONTAINER}'))"
    fix = "use Docker 20.10 or newer (extra_hosts host-gateway)"
    try:
        status, out = engine.run_once(
            image, [python, "-c", code], extra_hosts={HOST_FROM_CONTAINER: "host-gateway"}
        )
    except docker.errors.DockerException as exc:
        return Check("host-gateway", "FAIL", str(exc).splitlines()[0][:160], fix)
    if status != 0:
        return Check(
            "host-gateway",
            "FAIL",
            f"{HOST_FROM_CONTAINER} did not resolve (exit code {status})",
            fix,
        )
    return Check("host-gateway", "PASS", f"{HOST_FROM_CONTAINER} -> {out.strip()}")


def _extension() -> Check:
    """The VS Code extension in the editors on PATH (optional: the generated configurations
    work without it, so a missing one is a WARN, not a FAIL)."""
    from .ide import extension

    editors = extension.editors_on_path()
    if not editors:
        return Check("vscode extension", "SKIP", "no VS Code command on PATH")
    try:
        found = [extension.status(editor) for editor in editors]
    except SmdebugError as err:
        return Check("vscode extension", "WARN", err.problem, err.fix)
    detail = "; ".join(each.line() for each in found)
    if all(each.current for each in found):
        return Check("vscode extension", "PASS", detail)
    return Check("vscode extension", "WARN", detail, "smdebug-local vscode install")


def run_checks(
    options: DebugOptions, image: str | None = None, engine: Engine | None = None
) -> list[Check]:
    """All checks, in the order a user would fix them."""
    engine = engine or Engine()
    docker = _docker(engine)
    checks = [docker, _compose(), _sdk(), _debugpy(), _port(options), _extension()]
    if image:
        checks += _image(engine, image, docker.status == "PASS")
    return checks

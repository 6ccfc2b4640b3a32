"""`export-compose`: a training container's environment as a compose service of your own.

PyCharm Professional (and any tool that runs code in a Docker Compose service) can use it
as the interpreter: the entry point then runs -- and debugs natively -- in the training
image, with SageMaker's ``/opt/ml`` layout, input channels, hyperparameter files and
``SM_*`` variables, without local mode in between.

How: the user's driver script runs once under smdebug-local; when local mode generates the
compose configuration of its first training job, :class:`Exporter` copies what local mode
would delete afterwards (the ``/opt/ml/input`` tree with its config files) into the
workspace, and keeps the service. After the script, the ``SM_*`` variables are computed by
the image's own training toolkit (``sagemaker_training.environment``) in a throw-away
container over those files -- the values the toolkit gives the entry point -- and the
service is written. Pure parts (:func:`plan_volumes`, :func:`service`, :func:`document`) are
unit-tested.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import messages
from .compose import env_to_dict, parse_volume

HEADER = (
    "# Written by smdebug-local export-compose: a SageMaker training container's environment.\n"
)
SERVICE = "training"
CODE_DIR = "/opt/ml/code"
# Container folders local mode mounts from its temporary job folder (deleted when the job
# ends): copied (input) or given a fresh folder of the export (outputs).
COPIED = ("/opt/ml/input",)
FRESH = ("/opt/ml/model", "/opt/ml/output", "/opt/ml/shared")

# Runs in the image: the toolkit's own SM_* computation, and the interpreter it would use.
PROBE = (
    "import json, sys\n"
    "from sagemaker_training import environment\n"
    "print(json.dumps({'python': sys.executable, "
    "'env': environment.Environment().to_env_vars()}))\n"
)


@dataclass
class Captured:
    """What local mode generated for the training job's first host."""

    job: str
    host: str
    image: str
    service: dict
    entry_point: str | None
    volumes: list[str] = field(default_factory=list)  # "host:container" as exported


@dataclass(frozen=True)
class VolumePlan:
    """The exported service's volumes, and what must be copied or created for them."""

    volumes: list[str]
    copies: list[tuple[str, Path]]  # (local mode's temporary folder, its copy)
    fresh: list[Path]  # empty output folders


def plan_volumes(volumes: list[str], workdir: str | None, export_dir: Path) -> VolumePlan:
    """The service's volumes with local mode's temporary folders replaced by the export's.

    ``/opt/ml/input`` (config files, copied data) is copied; outputs get fresh folders; the
    source folder and ``file://`` channels stay where they are. A channel under local
    mode's temporary folder ``workdir`` (downloaded from S3) is copied too. Pure: paths are
    compared as given (the caller resolves them), nothing is touched.
    """
    out: list[str] = []
    copies: list[tuple[str, Path]] = []
    fresh: list[Path] = []
    for spec in volumes:
        host, container, mode = parse_volume(spec)
        exported = export_dir / container.strip("/").replace("/", "_")
        if container in COPIED or (
            workdir and _under(host, workdir) and container.startswith("/opt/ml/input/data/")
        ):
            copies.append((host, exported))
        elif container in FRESH:
            fresh.append(exported)
        else:
            exported = Path(host)  # the user's own folder stays where it is
        out.append(f"{exported}:{container}" + (f":{mode}" if mode else ""))
    return VolumePlan(out, copies, fresh)


def _under(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def materialize(plan: VolumePlan) -> None:
    """Copy local mode's temporary folders and create the output folders of ``plan``."""
    for source, target in plan.copies:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
    for target in plan.fresh:
        target.mkdir(parents=True, exist_ok=True)


def service(captured: Captured, sm_env: Mapping[str, str], python: str) -> dict:
    """The compose service: the training image, its mounts and environment, and a command
    that runs the entry point as the toolkit does (``python ENTRY ARGS`` in /opt/ml/code)."""
    env = env_to_dict(captured.service.get("environment"))
    env.update(sm_env)
    args = json.loads(sm_env.get("SM_USER_ARGS", "[]"))
    entry = captured.entry_point or sm_env.get("SM_USER_ENTRY_POINT", "train.py")
    out = {
        "image": captured.image,
        "hostname": captured.host,
        "working_dir": CODE_DIR,
        # Pass-through entrypoint: an IDE that runs its own `python ...` keeps working.
        "entrypoint": ["/usr/bin/env"],
        "command": [python, entry, *args],
        "environment": {k: v.replace("$", "$$") for k, v in env.items()},
        "volumes": list(captured.volumes),
    }
    for key in ("deploy", "extra_hosts"):  # GPUs (local_gpu), a user's host entries
        if key in captured.service:
            out[key] = captured.service[key]
    return out


def document(captured: Captured, svc: dict) -> str:
    """The compose file's text, with a header saying where it came from."""
    body = yaml.safe_dump({"services": {SERVICE: svc}}, default_flow_style=False, sort_keys=False)
    return (
        HEADER + f"# Job {captured.job}, host {captured.host}. Run it with\n"
        f"#   docker compose -f <this file> run --rm {SERVICE}\n" + body
    )


def check_writable(path: Path) -> None:
    """Never overwrite a file smdebug-local did not write."""
    if path.exists():
        try:
            first = path.read_text(errors="replace").splitlines()[:1]
        except OSError as err:
            raise messages.FILE_UNREADABLE.error(path=path, reason=err.strerror) from None
        if first != [HEADER.rstrip("\n")]:
            raise messages.FILE_NOT_OURS.error(path=path)


def _resolved(spec: str) -> str:
    """A volume spec whose host path has its symbolic links resolved (macOS: /var)."""
    host, container, mode = parse_volume(spec)
    return f"{os.path.realpath(host)}:{container}" + (f":{mode}" if mode else "")


class Exporter:
    """Captures the first training job's service during the run; writes it afterwards."""

    def __init__(self, output: Path, export_dir: Path) -> None:
        self.output = output
        self.export_dir = export_dir
        self.captured: Captured | None = None

    def capture(self, role: str, image: str, content: Mapping, workdir: str | None) -> None:
        """Called with each compose configuration; keeps the first training job's host."""
        if self.captured is not None or role != "training":
            return
        services = content.get("services") or {}
        if not services:
            return
        host = sorted(services)[0]
        svc = dict(services[host])
        self.export_dir.mkdir(parents=True, exist_ok=True)
        plan = plan_volumes(
            [_resolved(v) for v in svc.get("volumes") or [] if isinstance(v, str)],
            os.path.realpath(workdir) if workdir else None,
            self.export_dir,
        )
        materialize(plan)
        volumes = plan.volumes
        env = env_to_dict(svc.get("environment"))
        self.captured = Captured(
            job=env.get("TRAINING_JOB_NAME", "training"),
            host=host,
            image=image,
            service=svc,
            entry_point=None,
            volumes=volumes,
        )

    def write(self, engine) -> Path:
        """Compute SM_* in the image and write the compose file; returns its path."""
        captured = self.captured
        if captured is None:
            raise messages.EXPORT_NO_JOB.error()
        sm_env, python = self._toolkit_env(engine, captured)
        check_writable(self.output)
        text = document(captured, service(captured, sm_env, python))
        from .files import write_atomic

        write_atomic(self.output, text)
        return self.output

    @staticmethod
    def _toolkit_env(engine, captured: Captured) -> tuple[dict[str, str], str]:
        """``SM_*`` as the image's training toolkit computes them for this job."""
        import docker.errors

        env = env_to_dict(captured.service.get("environment"))
        last = ""
        for exe in ("python3", "python"):
            try:
                code, out = engine.run_once(
                    captured.image,
                    [exe, "-c", PROBE],
                    volumes=captured.volumes,
                    hostname=captured.host,
                    environment=env,
                    working_dir=CODE_DIR,
                    network_mode="none",
                )
            except docker.errors.DockerException as exc:
                last = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                continue
            lines = out.strip().splitlines()
            if code == 0 and lines:
                found = json.loads(lines[-1])
                return {k: str(v) for k, v in found["env"].items()}, found["python"]
            last = f"exit code {code}"
        raise messages.EXPORT_NO_TOOLKIT.error(image=captured.image, reason=last)

"""Everything smdebug-local asks the Docker engine, with errors users can act on."""

from __future__ import annotations

import functools
import ipaddress
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import messages
from .compose import env_to_dict


def compose_command() -> list[str]:
    """The compose CLI local mode will use, detected the way the SDK detects it.

    The SDK (2.257) takes ``docker compose`` only if its version output contains ``v2``,
    else ``docker-compose`` from PATH; we mirror that so our verdict matches what runs.
    """
    plugin = ""
    try:
        out = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=20
        )
        if out.returncode == 0:
            plugin = out.stdout.strip()
            if "v2" in plugin:
                return ["docker", "compose"]
    except (OSError, subprocess.TimeoutExpired):
        pass
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if plugin:
        raise messages.COMPOSE_UNRECOGNISED.error(plugin=plugin)
    raise messages.COMPOSE_MISSING.error()


# Compose processes seen running (by pid): once one is a zombie its command line is gone,
# and only a pid seen here is known to be compose's rather than the user's own `docker`.
_seen_compose: set[int] = set()


def _is_compose(name: str, argv: list[str], roots: frozenset[str] | None) -> bool:
    """Compose -- ``docker-compose ...`` (v1 runs as ``python3 /usr/bin/docker-compose``;
    its process name stays ``docker-compose``) or ``docker compose ...`` (the plugin runs as
    ``docker``) -- on a compose file under one of ``roots`` (any file if None)."""
    programs = [os.path.basename(arg) for arg in argv[:2]]
    if not (
        name == "docker-compose"
        or "docker-compose" in programs
        or (programs[:1] == ["docker"] and "compose" in argv[1:3])
    ):
        return False
    return roots is None or any(
        arg.startswith(root.rstrip("/") + "/") for arg in argv for root in roots
    )


def _compose_children(roots: frozenset[str] | None = None) -> dict[int, str]:
    """``{pid: state}`` of the docker compose processes this process started (Linux) on
    compose files under ``roots`` (local mode's job folders of one session).

    The script runs in this process, so a child named ``docker`` may be the user's own
    (``docker build``), and compose of an endpoint deployed before ``enable()`` is not the
    session's: only a command line of compose on the session's files counts. A zombie has
    no command line left: one named ``docker-compose`` is reaped, a ``docker`` one only if
    it was seen running as the session's compose.
    """
    me = str(os.getpid())
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, tail = stat.read_text().rpartition(")")
            name = head.partition("(")[2]
            fields = tail.split()
            if fields[1] != me:
                continue
            argv = (stat.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if _is_compose(name, argv, roots):
            _seen_compose.add(pid)
        # A zombie's command line is gone: one named docker-compose (its name stays in
        # /proc/PID/stat) is compose's all the same; a `docker` one only if seen as compose.
        zombie_compose = fields[0] == "Z" and name == "docker-compose"
        if pid in _seen_compose or zombie_compose:
            found[pid] = fields[0]
    return found


def await_compose_children(roots: frozenset[str] | None = None, timeout: float = 10.0) -> None:
    """Let the compose processes local mode started (on files under ``roots``) end once
    their containers are gone.

    ``docker compose up`` notices a removed container within a second or so; one still
    running after ``timeout`` is terminated. Ended ones are reaped here: when a run was
    interrupted the SDK never waits for them, and an orphaned zombie may never be reaped
    (subprocess treats a child reaped elsewhere as exited).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = [pid for pid, state in _compose_children(roots).items() if state != "Z"]
        if not running:
            break
        time.sleep(0.1)
    for pid, state in _compose_children(roots).items():
        try:
            if state != "Z":
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0 if state != "Z" else os.WNOHANG)
        except (ProcessLookupError, ChildProcessError):
            pass
        _seen_compose.discard(pid)


def gateway_of(ipam_config: list[dict]) -> str | None:
    """The gateway of a network's IPAM configuration. When dockerd adopted an existing
    docker0 it lists only the subnet: Docker's gateway is then the subnet's first address."""
    for entry in ipam_config:
        if entry.get("Gateway"):
            return str(entry["Gateway"]).split("/")[0]
    for entry in ipam_config:
        try:
            return str(next(ipaddress.ip_network(entry["Subnet"], strict=False).hosts()))
        except (KeyError, ValueError, StopIteration):
            continue
    return None


# More than a program folder of a bring-your-own image ever holds (code, not models).
MAX_PROGRAM_BYTES = 16 * 1024 * 1024


def _unpack_files(archive: bytes, dest: Path) -> bool:
    """The regular files of a ``docker cp``-style archive (one top folder) written under
    ``dest`` without it; links, devices and paths leaving ``dest`` are skipped."""
    import io

    from .sources import MAX_COPY_FILES

    count = 0
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            parts = Path(member.name).parts[1:]
            if not member.isreg() or not parts or ".." in parts or "__pycache__" in parts:
                continue
            count += 1
            if count > MAX_COPY_FILES:
                return False
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())
    return True


@dataclass(frozen=True)
class ContainerExit:
    """A container of ours that stopped with an error, and its last words."""

    name: str
    role: str
    image: str
    exit_code: int
    tail: list[str]


# Where MMS and TorchServe keep their pid file: tempfile.gettempdir() of the server's Python.
STALE_PID_FILES = 'rm -f /tmp/.model_server.pid "${TMPDIR:-/tmp}/.model_server.pid"'


@functools.cache
def engine_errors() -> tuple[type[BaseException], ...]:
    """What the Docker client raises when the engine went away mid-call (its socket closed
    or gone: a daemon restart): docker-py's errors and requests' connection errors, which
    are OSErrors. A function, so that docker is imported only when a call is made."""
    from docker.errors import DockerException

    return (DockerException, OSError)


class Engine:
    """A lazily connected Docker engine client."""

    @cached_property
    def client(self):
        import docker

        try:
            client = docker.from_env(timeout=30)
            client.ping()
        except Exception as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise messages.DOCKER_DOWN.error(reason=reason) from None
        return client

    def ping(self) -> None:
        """Raise :class:`SmdebugError` unless the engine answers (connecting pings it)."""
        _ = self.client

    def answers(self, within: float = 0.0) -> bool:
        """True once the engine answers a ping, trying for up to ``within`` seconds (a
        daemon restarting comes back in a few)."""
        deadline = time.monotonic() + within
        while True:
            try:
                self.client.ping()
                return True
            except Exception:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.5)

    def image_env(self, image: str) -> dict[str, str] | None:
        """The image's configured environment, or None if the image is not local (yet)."""
        config = self.image_config(image)
        if config is None:
            return None
        return env_to_dict(config.get("Env"))

    def image_id(self, image: str) -> str | None:
        """The image's ID (``sha256:...``), or None if it is not local (yet)."""
        import docker.errors

        try:
            return self.client.images.get(image).id
        except docker.errors.ImageNotFound:
            return None

    def image_config(self, image: str) -> dict | None:
        """The image's ``Config`` (``Env``, ``WorkingDir``, ...), or None if it is not local."""
        import docker.errors

        try:
            return self.client.images.get(image).attrs.get("Config") or {}
        except docker.errors.ImageNotFound:
            return None

    def published_port(
        self, container_port: int, *, name: str | None = None, labels: tuple[str, ...] = ()
    ) -> int | None:
        """The host loopback port Docker published a container's ``container_port`` on;
        None while there is no such container (or it publishes nothing yet). The container:
        the one ``name``d, else the running one carrying every ``label=value`` of ``labels``
        (a compose service without a container name)."""
        import docker.errors

        try:
            if name is not None:
                container = self.client.containers.get(name)
            else:
                found = self.client.containers.list(filters={"label": list(labels)})
                if not found:
                    return None
                container = found[0]
            bindings = container.attrs["NetworkSettings"]["Ports"] or {}
        except (docker.errors.DockerException, KeyError):
            return None
        for binding in bindings.get(f"{container_port}/tcp") or []:
            if binding.get("HostIp") in ("127.0.0.1", "0.0.0.0", "") and binding.get("HostPort"):
                return int(binding["HostPort"])
        return None

    def copy_program(
        self, image: str, folders: tuple[str, ...], command: str, dest: Path, labels: Mapping
    ) -> str | None:
        """The first of ``folders`` in ``image`` that holds ``command``, its regular files
        copied into ``dest``; None if none does, or it holds more than a program folder does
        (MAX_PROGRAM_BYTES, sources.MAX_COPY_FILES). One container is created to read them,
        never started, and always removed; any engine or transport error is a None."""
        import docker.errors
        import requests.exceptions

        errors = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)
        try:
            # A command, or images without CMD (most bring-your-own ones) cannot be created.
            container = self.client.containers.create(
                image, command=["true"], labels=dict(labels), network_disabled=True
            )
        except errors:
            return None
        try:
            for folder in folders:
                try:  # is the program here? (read to the end: the response is released)
                    for _ in container.get_archive(f"{folder}/{command}")[0]:
                        pass
                except docker.errors.NotFound:
                    continue
                stream, _ = container.get_archive(folder)
                data = bytearray()
                for chunk in stream:
                    data += chunk
                    if len(data) > MAX_PROGRAM_BYTES:
                        return None
                return folder if _unpack_files(bytes(data), dest) else None
            return None
        except (*errors, tarfile.TarError):
            return None
        finally:
            try:
                container.remove(force=True)
            except errors:
                pass

    def bridge_gateway(self) -> str | None:
        """The default bridge network's gateway: what ``host-gateway`` resolves to."""
        import docker.errors

        try:
            config = self.client.networks.get("bridge").attrs["IPAM"]["Config"]
        except (docker.errors.APIError, KeyError):
            return None
        return gateway_of(config or [])

    def containers(self, label: str, value: str | None = None) -> list:
        """All containers, running or not, carrying ``label=value`` (any value if None)."""
        selector = label if value is None else f"{label}={value}"
        # ignore_removed: compose may be removing one between the list and its inspect (a
        # job ending as the run is interrupted) -- gone is what we want, not an error.
        return self.client.containers.list(
            all=True, filters={"label": selector}, ignore_removed=True
        )

    def failures(
        self, label: str, value: str, role_label: str, lines: int = 5
    ) -> list[ContainerExit]:
        """Containers labelled ``label=value`` that exited non-zero, with their last log lines.

        Only the job's containers (those with a ``role_label``): the run's own throw-away
        containers (image probes, debugpy's compile) are not the job failing, and one that
        is being removed meanwhile is skipped."""
        import docker.errors

        found = []
        for c in self.containers(label, value):
            if role_label not in c.labels:
                continue
            state = c.attrs.get("State", {})
            code = state.get("ExitCode", 0)
            # A container that could not start at all ("exec: train: not found") stays
            # "created" with an Error; a normal stop or our own clean-up is not a failure.
            if not state.get("Error") and (
                state.get("Status") != "exited" or code in (0, 130, 137, 143)
            ):
                continue
            try:
                text = c.logs(tail=lines).decode("utf-8", "replace")
            except docker.errors.APIError:  # removed meanwhile (404), or being removed (409)
                continue
            err = state.get("Error") or ""
            tail = [ln.rstrip() for ln in ([err] if err else []) + text.splitlines() if ln.strip()]
            image = c.attrs.get("Config", {}).get("Image", "")
            found.append(ContainerExit(c.name, c.labels.get(role_label, "?"), image, code, tail))
        return found

    def run_once(
        self, image: str, entrypoint: list[str], timeout: float = 60, **options
    ) -> tuple[int, str]:
        """Run a throw-away container to its end: ``(exit code, stdout)``; always removed.

        Not ``containers.run(remove=True)``: when the entrypoint cannot even be exec'd (an
        image without Python, exactly what the probes ask about), docker-py leaves the
        created container behind. Raises docker's errors when it cannot create or start.
        """
        import docker.errors

        container = self.client.containers.create(image, entrypoint=entrypoint, **options)
        try:
            container.start()
            code = container.wait(timeout=timeout).get("StatusCode", -1)
            return code, container.logs(stderr=False).decode(errors="replace")
        finally:
            try:
                container.remove(force=True)
            except docker.errors.APIError:
                pass

    def run_removed(
        self, image: str, entrypoint: list[str], timeout: float = 120, **options
    ) -> int:
        """Run a throw-away container to its end for its effect (not its output): the exit
        code. The engine removes it once it exits, even if this process is gone by then;
        one that cannot start is removed here."""
        import docker.errors

        container = self.client.containers.create(
            image, entrypoint=entrypoint, auto_remove=True, **options
        )
        try:
            container.start()
            return int(container.wait(timeout=timeout).get("StatusCode", -1))
        except BaseException:
            try:
                container.remove(force=True)
            except docker.errors.APIError:
                pass
            raise

    def python(self, image: str, labels: dict[str, str]) -> tuple[str, tuple[int, int]] | None:
        """``(command, version)`` of ``python3`` (else ``python``) in ``image``, or None.

        Runs a throw-away container; only used to explain a failure, never on the happy path.
        """
        import docker.errors
        import requests.exceptions

        for exe in ("python3", "python"):
            try:
                code, out = self.run_once(
                    image,
                    [exe, "-c", "import sys; print(*sys.version_info[:2])"],
                    labels=labels,
                    network_mode="none",
                )
                major, minor = out.split()[:2]
                if code == 0:
                    return exe, (int(major), int(minor))
            except (
                docker.errors.DockerException,
                requests.exceptions.RequestException,
                ValueError,
            ):
                continue
        return None

    def remove(self, label: str, value: str) -> int:
        """Force-remove every container labelled ``label=value``; returns how many."""
        return self.remove_containers(self.containers(label, value))

    def remove_named(self, names: list[str]) -> int:
        """Force-remove the named containers that exist; returns how many."""
        import docker.errors

        found = []
        for name in names:
            try:
                found.append(self.client.containers.get(name))
            except docker.errors.NotFound:
                pass
        return self.remove_containers(found)

    def relay(self, name: str, marker: str, say: Callable[[str], None]) -> None:
        """Pass each line of container ``name``'s output that contains ``marker`` to ``say``
        (from the marker on), until the container ends; on a daemon thread.

        For containers started detached by docker-py (ModelBuilder's): nothing else shows
        their output, and the debugger's "waiting on 127.0.0.1:P" line is how users learn
        where to attach.
        """

        def follow() -> None:
            try:
                pending = b""
                for chunk in self.client.containers.get(name).logs(stream=True, follow=True):
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for raw in lines:
                        line = raw.decode("utf-8", "replace").rstrip()
                        if marker in line:
                            say(line[line.index(marker) :])
            except Exception:  # the container is gone: nothing more to relay
                return

        threading.Thread(target=follow, name=f"smdebug-local-relay-{name}", daemon=True).start()

    def restart(self, name: str, timeout: int = 1) -> None:
        """Restart a container in place (its entrypoint runs again; mounts and ports stay).

        Multi Model Server (and TorchServe, its fork) refuses to start while its pid file
        names a live process, and in the restarted container that pid is often taken by
        another process: the server then exits "already running" and the endpoint never
        answers. The file goes first (the server is killed right after, before it could
        write it again)."""
        container = self.client.containers.get(name)
        try:
            container.exec_run(["sh", "-c", STALE_PID_FILES], user="root")
        except Exception:  # no shell in the image, or it stopped: nothing to remove
            pass
        container.restart(timeout=timeout)

    @staticmethod
    def remove_containers(containers: list) -> int:
        import docker.errors

        removed = 0
        for c in containers:
            try:
                c.remove(force=True)
                removed += 1
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                # 409 "removal of container ... is already in progress": compose is
                # removing it. Any other conflict is a failure to say.
                if exc.status_code != 409 or "already in progress" not in str(exc.explanation):
                    raise
        return removed

"""Fixtures for end-to-end tests: a real Docker engine, real images, real local mode.

These tests never skip: if Docker is not reachable they fail, because a skipped e2e suite
reported as green would hide exactly the breakage this project exists to prevent. The
README's test command (``./dev/test``) installs and starts everything they need.

Environment overrides, to run the suite against real images (e.g. an AWS PyTorch DLC):
  SMDEBUG_LOCAL_TEST_TRAINING_IMAGE   instead of the locally built pytorch-training image
  SMDEBUG_LOCAL_TEST_MPI_IMAGE        instead of the locally built pytorch-training-mpi image
                                      (Open MPI, sshd and mpi4py, as the AWS DLCs have)
  SMDEBUG_LOCAL_TEST_PY39_IMAGE       instead of the locally built py39-training image
  SMDEBUG_LOCAL_TEST_SERVING_IMAGE    instead of the locally built pytorch-inference image
  SMDEBUG_LOCAL_TEST_BYOC_IMAGE       instead of the locally built byoc-flask image
  SMDEBUG_LOCAL_TEST_BYOC_SAMPLE_IMAGE  instead of the locally built byoc-sample image
  SMDEBUG_LOCAL_TEST_SKLEARN_IMAGE    instead of the locally built sklearn-containers image
  SMDEBUG_LOCAL_TEST_HF_IMAGE         instead of the locally built hf-inference image
  SMDEBUG_LOCAL_TEST_TENSORFLOW_IMAGE instead of the locally built tensorflow image
  SMDEBUG_LOCAL_TEST_COMPOSE          the Docker Compose local mode runs with: unset = the
                                      machine's own; v1 = the machine's docker-compose 1.x;
                                      v2 = Compose v2 as the standalone docker-compose;
                                      v2-plugin = Compose v2 as the `docker compose` plugin
                                      (both from tests/compose/setup.sh; see test_matrix.py)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "images"))

from smdebug_local.compose import LABEL_RUN  # noqa: E402

import build  # noqa: E402  (tests/images/build.py)

SMDEBUG = str(Path(sys.executable).with_name("smdebug-local"))


def _docker_ok() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session", autouse=True)
def docker_engine() -> None:
    if not _docker_ok():
        pytest.fail(
            "no Docker engine answers `docker info`; run the README's test command "
            "(./dev/test), which installs and starts one",
            pytrace=False,
        )


COMPOSE_FLAVOURS = ("v1", "v2", "v2-plugin")


def compose_v2_dir() -> Path:
    """Folder of Compose v2 made by tests/compose/setup.sh (runs it: quick when done)."""
    out = subprocess.run(
        [
            "bash",
            "-c",
            'source "$1" >&2 && printf %s "$COMPOSE_V2_DIR"',
            "-",
            str(REPO / "tests" / "compose" / "setup.sh"),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        pytest.fail(f"tests/compose/setup.sh failed:\n{out.stderr}", pytrace=False)
    return Path(out.stdout)


@pytest.fixture(scope="session", autouse=True)
def compose_flavour(docker_engine) -> Iterator[str | None]:
    """``SMDEBUG_LOCAL_TEST_COMPOSE`` (v1 | v2 | v2-plugin): the Compose the SDK picks, for
    this process (in-process local mode) and every subprocess the tests start. Checked with
    the SDK's own detection, so a run can never silently test another Compose."""
    flavour = os.environ.get("SMDEBUG_LOCAL_TEST_COMPOSE")
    if not flavour:  # the machine's own Compose, untouched
        yield None
        return
    if flavour not in COMPOSE_FLAVOURS:
        pytest.fail(
            f"SMDEBUG_LOCAL_TEST_COMPOSE={flavour!r}: expected one of "
            f"{', '.join(COMPOSE_FLAVOURS)}",
            pytrace=False,
        )
    saved = {k: os.environ.get(k) for k in ("PATH", "DOCKER_CONFIG")}
    if flavour == "v2":
        os.environ["PATH"] = f"{compose_v2_dir() / 'bin'}{os.pathsep}{os.environ['PATH']}"
    elif flavour == "v2-plugin":
        os.environ["DOCKER_CONFIG"] = str(compose_v2_dir() / "docker-config")
    from sagemaker.local.image import _SageMakerContainer

    prefix = _SageMakerContainer._get_compose_cmd_prefix()
    version = subprocess.run([*prefix, "version"], capture_output=True, text=True).stdout
    expected = {
        "v1": (["docker-compose"], "version 1."),
        "v2": (["docker-compose"], "Docker Compose version 2."),
        "v2-plugin": (["docker", "compose"], "Docker Compose version v2."),
    }[flavour]
    if prefix != expected[0] or expected[1] not in version:
        pytest.fail(
            f"SMDEBUG_LOCAL_TEST_COMPOSE={flavour}: the SDK picks {' '.join(prefix)!r} "
            f"({version.strip()!r}); expected {' '.join(expected[0])!r} with "
            f"{expected[1]!r}",
            pytrace=False,
        )
    print(f"\n[compose] {flavour}: {' '.join(prefix)} -> {version.strip()}")
    yield flavour
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _image(env_var: str, recipe: str) -> str:
    return os.environ.get(env_var) or build.ensure(recipe)


@pytest.fixture(scope="session")
def training_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_TRAINING_IMAGE", "pytorch-training")


@pytest.fixture(scope="session")
def mpi_training_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_MPI_IMAGE", "pytorch-training-mpi")


@pytest.fixture(scope="session")
def py39_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_PY39_IMAGE", "py39-training")


@pytest.fixture(scope="session")
def serving_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_SERVING_IMAGE", "pytorch-inference")


@pytest.fixture(scope="session")
def byoc_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_BYOC_IMAGE", "byoc-flask")


@pytest.fixture(scope="session")
def byoc_sample_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_BYOC_SAMPLE_IMAGE", "byoc-sample")


@pytest.fixture(scope="session")
def sklearn_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_SKLEARN_IMAGE", "sklearn-containers")


@pytest.fixture(scope="session")
def hf_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_HF_IMAGE", "hf-inference")


@pytest.fixture(scope="session")
def tensorflow_image(docker_engine) -> str:
    return _image("SMDEBUG_LOCAL_TEST_TENSORFLOW_IMAGE", "tensorflow")


def our_containers() -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL_RUN}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def describe_containers(names: set[str] | list[str]) -> str:
    """Each container's state, creation time and smdebug-local labels: what a leak report
    needs to name the run (and the phase) that left it."""
    if not names:
        return "none"
    out = subprocess.run(
        [
            "docker",
            "inspect",
            "--format",
            "{{.Name}} {{.State.Status}} created {{.Created}} {{json .Config.Labels}}",
            *sorted(names),
        ],
        capture_output=True,
        text=True,
    )
    return (out.stdout + out.stderr).strip()


@pytest.fixture(autouse=True)
def no_containers_left(docker_engine):
    """Every e2e test must leave no container of ours behind."""
    before = set(our_containers())
    yield
    left = set(our_containers()) - before
    assert not left, f"containers left behind: {describe_containers(left)}"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """A private copy of examples/quickstart (tests must not write into the repo)."""
    dest = tmp_path / "quickstart"
    shutil.copytree(
        REPO / "examples" / "quickstart",
        dest,
        ignore=shutil.ignore_patterns("data", "output", "__pycache__"),
    )
    return dest


@pytest.fixture
def start_run():
    """``start_run(args, cwd, env, smdebug) -> Run``; every run still going at teardown is
    stopped. ``smdebug`` is the executable (another virtualenv's, for SDK 3.x)."""
    runs: list[Run] = []

    def start(
        args: list[str], cwd: Path, env: dict[str, str] | None = None, smdebug: str = SMDEBUG
    ) -> Run:
        runs.append(Run(args, cwd, env, smdebug))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()
        # Shown by pytest only when the test failed: what the run said, for the diagnosis.
        print(f"--- smdebug-local run {' '.join(run.args)} ---\n{run.output}")


def build_wheel(dest: Path) -> Path:
    """A wheel of this repository (packaging is tested, not assumed)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dest), str(REPO)],
        check=True,
    )
    return next(dest.glob("*.whl"))


SDK3_VERSION = "3.27.0"


@pytest.fixture(scope="session")
def sdk3(tmp_path_factory) -> Path:
    """``smdebug-local`` installed from a wheel of this repo in a virtualenv with SageMaker
    SDK 3.x (the venv is cached across runs; the wheel is rebuilt every session)."""
    import venv

    path = Path.home() / ".cache" / "smdebug-local-test" / f"venv-sagemaker-{SDK3_VERSION}"
    if not (path / ".complete").exists():
        venv.create(path, with_pip=True, clear=True)
        subprocess.run(
            [
                str(path / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "-q",
                f"sagemaker=={SDK3_VERSION}",
            ],
            check=True,
        )
        (path / ".complete").write_text("")
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    # What the wheel requires (its metadata, as a user's pip reads it) and is missing...
    subprocess.run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True
    )
    # ... and this very build, even where an earlier one had the same version.
    subprocess.run(
        [
            str(path / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
    )
    return path / "bin" / "smdebug-local"


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """A private copy of the minimal plain-Python project (tests/e2e/projects/plain)."""
    return copy_project("plain", tmp_path / "plain")


def copy_project(name: str, dest: Path) -> Path:
    """A private copy of ``tests/e2e/projects/<name>`` at ``dest`` (tests must not write
    into the repo); returns ``dest``."""
    shutil.copytree(Path(__file__).parent / "projects" / name, dest)
    return dest


def marker_line(path: Path, marker: str) -> int:
    """1-based line of the line containing ``marker`` (breakpoints follow the source)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


# "... (PyTorch)", "... (step Train)", "... (TorchServe, step Score)": the stack, then a
# local pipeline's step, share one parenthesis.
WAITING = re.compile(
    r"smdebug-local: (?P<role>\w+) (?P<host>\S+)(?: rank (?P<rank>\d+)/(?P<world>\d+))?"
    r"(?: (?P<process>[a-z]+(?: \d+)?))?"
    r"(?: \((?:(?!step )(?P<stack>[^),]+?)(?:, |(?=\))))?(?:step (?P<step>[^)]+))?\))? "
    r"(?:waiting for debugger|debugger listening) "
    r"on (?P<bind>[\d.]+):(?P<port>\d+) \((?P<local>.+) -> (?P<remote>\S+)\)"
)


class Run:
    """``smdebug-local run ...`` as a subprocess whose output is collected line by line."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, smdebug: str = SMDEBUG
    ) -> None:
        self.args = args
        self.env = env or {}
        full_env = {**os.environ, "SAGEMAKER_SUPPRESS_V2_WARNING": "1", **self.env}
        self.proc = subprocess.Popen(
            [smdebug, "run", *args],
            cwd=cwd,
            env=full_env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: re.Pattern, timeout: float = 180, count: int = 1) -> list[re.Match]:
        """The first ``count`` matches of ``pattern`` in the output (waits for them)."""
        deadline = time.monotonic() + timeout

        def found():
            return [m for m in map(pattern.search, self.lines) if m]

        with self._cond:
            while len(found()) < count:
                if self.proc.poll() is not None and self.proc.stdout.closed:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 1))
            matches = found()
        if len(matches) < count:
            raise AssertionError(f"{pattern.pattern!r} x{count} not seen; output:\n" + self.output)
        return matches[:count]

    def finish(self, timeout: float = 180) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        """End the run if it still runs: SIGTERM (it cleans up), SIGKILL as a last resort."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def saw(self, text: str) -> bool:
        """Whether any output line so far contains ``text`` (all lines, not just the tail)."""
        with self._cond:
            return any(text in line for line in self.lines)

    @property
    def output(self) -> str:
        """The last 200 lines, for assertion messages."""
        with self._cond:
            return "\n".join(self.lines[-200:])


@pytest.fixture(scope="session")
def local_s3():
    """A local S3 (moto) for jobs that local mode routes through S3 (processing uploads its
    code and inputs there even with a LocalSession). Yields the environment that points
    boto3 at it -- test tooling: users have real S3."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    server.stop()

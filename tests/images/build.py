"""Build the SageMaker-like test images locally, cached by the hash of their recipe.

Docker Hub and ECR are out of reach on the machines this project is tested on, so every
image starts from a Debian root file system made by ``debootstrap`` and imported with
``docker import``. An image is rebuilt only when its recipe (Dockerfile, wheel pins, base
recipe) changes: the tag *is* the recipe hash, so ``docker image inspect`` is the cache
lookup and a stale image can never be mistaken for a current one.

Usage: ``python tests/images/build.py [NAME ...]`` builds the named images (when none, all
but the on-demand ones) and prints ``NAME=TAG`` lines. The tests call :func:`ensure`
directly.

The CA bundle the host's pip uses is copied into each build context because the network
here intercepts TLS; that is test tooling for such machines, never product behaviour.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# SMDEBUG_LOCAL_IMAGE_REPO: another namespace builds everything again from nothing beside
# the cached images (to time a fresh machine's build without losing the cache).
REPO = os.environ.get("SMDEBUG_LOCAL_IMAGE_REPO", "smdebug-local-test")
BASE_PACKAGES = "python3,python3-pip,python3-venv,ca-certificates"


@dataclass(frozen=True)
class Recipe:
    """One test image: the Debian suite it starts from and its recipe directory.

    ``parent``: build FROM that recipe's image instead of the bare Debian base.
    ``folder``: the recipe directory, when it is another image's (the same recipe built on
    another Debian suite, i.e. another Python); by default the image's name.
    ``on_demand``: not built with the others (the test command), only when named (a
    benchmark's): images no test needs.
    """

    name: str
    suite: str
    wheels: tuple[str, ...] = ()
    parent: str | None = None
    folder: str | None = None
    on_demand: bool = False

    @property
    def directory(self) -> Path:
        return HERE / (self.folder or self.name)


RECIPES = {
    r.name: r
    for r in (
        Recipe("pytorch-training", "bookworm", wheels=("torch==2.13.0",)),
        # The same with Open MPI, sshd and mpi4py: `distribution={"mpi": ...}` jobs.
        Recipe("pytorch-training-mpi", "bookworm", parent="pytorch-training"),
        Recipe("py39-training", "bullseye"),
        Recipe("no-python", "bookworm"),
        Recipe("pytorch-inference", "bookworm", wheels=("torch==2.13.0",)),
        Recipe("byoc-flask", "bookworm"),
        # AWS's bring-your-own sample layout: nginx + gunicorn (gevent), and the other
        # Python serving models (uvicorn, Flask's server, waitress) over the same program.
        Recipe("byoc-sample", "bookworm"),
        # The scikit-learn and XGBoost containers' stack: sagemaker-containers 2.8 serving
        # and XGBoost script mode, sagemaker-training for scikit-learn training (stand-ins of
        # the two framework packages, which are not on PyPI).
        Recipe("sklearn-containers", "bookworm"),
        # Hugging Face inference on the real Multi Model Server (Java frontend), no torch.
        Recipe("hf-inference", "bookworm"),
        # The TensorFlow family: the real training toolkit over tensorflow-cpu (the CPU wheel:
        # no CUDA libraries), and the TensorFlow Serving container's Python service layout.
        Recipe("tensorflow", "bookworm", wheels=("tensorflow-cpu==2.21.0",)),
        # Python 3.13 (Debian trixie) and 3.14 (sid), where debugpy traces through
        # sys.monitoring (PEP 669): the plain-Python training image and the bring-your-own
        # sample, each the same recipe on the newer suite. No torch: PyPI has no CPU-only
        # torch for these Pythons, only CUDA builds of several GB.
        Recipe("py313-training", "trixie", folder="py39-training"),
        Recipe("byoc-sample-py313", "trixie", folder="byoc-sample"),
        # Debian sid is a moving target: if its packages break, these do first.
        Recipe("py314-training", "sid", folder="py39-training"),
        Recipe("byoc-sample-py314", "sid", folder="byoc-sample"),
        # PyTorch on Python 3.13 for the training benchmark (benchmarks/training.py --images
        # pytorch-training,pytorch-training-py313): the cp313 wheel is the CUDA build, whose
        # libraries (several GB) it needs to import; built only when a benchmark asks.
        Recipe("torch-py313", "trixie", on_demand=True),
        Recipe("pytorch-training-py313", "trixie", parent="torch-py313", on_demand=True),
    )
}


def _docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=True, **kwargs)


def _exists(tag: str) -> bool:
    return (
        subprocess.run(
            ["docker", "image", "inspect", tag],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).returncode
        == 0
    )


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:12]


def base_tag(suite: str) -> str:
    """Tag of the imported debootstrap root file system for ``suite``."""
    return f"{REPO}/base-{suite}:{_digest(suite.encode(), BASE_PACKAGES.encode(), b'minbase')}"


def recipe_tag(recipe: Recipe) -> str:
    """Tag of ``recipe``'s image: a hash over its files, its wheel pins and its base."""
    files = sorted(p for p in recipe.directory.rglob("*") if p.is_file())
    base = recipe_tag(RECIPES[recipe.parent]) if recipe.parent else base_tag(recipe.suite)
    parts = [base.encode(), "\n".join(recipe.wheels).encode()]
    parts += [p.relative_to(HERE).as_posix().encode() + b"\0" + p.read_bytes() for p in files]
    return f"{REPO}/{recipe.name}:{_digest(*parts)}"


def host_ca_bundle() -> Path:
    """The CA bundle the host's pip is configured with (the network may intercept TLS)."""
    for var in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(var) and Path(os.environ[var]).is_file():
            return Path(os.environ[var])
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.cert"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if out and Path(out).is_file():
        return Path(out)
    return Path("/etc/ssl/certs/ca-certificates.crt")


def ensure_base(suite: str) -> str:
    """Import a minimal Debian ``suite`` with Python as an image, unless already there."""
    tag = base_tag(suite)
    if _exists(tag):
        return tag
    if not shutil.which("debootstrap"):
        raise SystemExit("debootstrap is missing: apt-get install -y debootstrap")
    with tempfile.TemporaryDirectory(prefix=f"rootfs-{suite}-", dir="/var/tmp") as root:
        print(f"[images] debootstrap {suite} (about a minute)", flush=True)
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", suite, root],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        _docker("import", "-", tag, stdin=tar.stdout, stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise SystemExit(f"tar of the {suite} root file system failed")
    return tag


def ensure(name: str) -> str:
    """Return the tag of test image ``name``, building it (and its base) if missing."""
    recipe = RECIPES[name]
    tag = recipe_tag(recipe)
    if _exists(tag):
        return tag
    base = ensure(recipe.parent) if recipe.parent else ensure_base(recipe.suite)
    with tempfile.TemporaryDirectory(prefix=f"ctx-{name}-") as ctx:
        shutil.copytree(recipe.directory, ctx, dirs_exist_ok=True)
        shutil.copy(host_ca_bundle(), Path(ctx, "build-ca.pem"))
        if recipe.wheels:
            # The host's pip resolves these from its own index/caches (a local CPU torch wheel
            # on this kind of machine), which keeps multi-GB CUDA builds out of the image.
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-q",
                    "-d",
                    str(Path(ctx, "wheels")),
                    *recipe.wheels,
                ],
                check=True,
            )
        print(f"[images] building {tag}", flush=True)
        _docker(
            "build",
            "--build-arg",
            f"BASE={base}",
            "-t",
            tag,
            ctx,
            env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )
    return tag


def main(argv: list[str]) -> int:
    names = argv or [name for name, recipe in RECIPES.items() if not recipe.on_demand]
    for name in names:
        if name not in RECIPES:
            print(f"unknown image {name!r}; known: {', '.join(RECIPES)}", file=sys.stderr)
            return 2
        print(f"{name}={ensure(name)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

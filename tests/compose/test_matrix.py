"""The core end-to-end tests again, under Docker Compose v2 and in Python 3.13/3.14 containers.

The e2e suite runs with the machine's own Compose (docker-compose 1.29 here) and the
bookworm (Python 3.11) images. This module runs a selection of it once per other cell of
the matrix, each in a pytest subprocess with the switches tests/e2e/conftest.py honours:

  compose v2          SMDEBUG_LOCAL_TEST_COMPOSE=v2         (standalone docker-compose 2.x)
  compose v2-plugin   SMDEBUG_LOCAL_TEST_COMPOSE=v2-plugin  (`docker compose`, as SDK 2.x
                                                              finds it on Docker Desktop)
  python 3.13, 3.14   SMDEBUG_LOCAL_TEST_PY39_IMAGE / _BYOC_SAMPLE_IMAGE = the plain-Python
                      training image and the bring-your-own sample built on Debian trixie /
                      sid (tests/images/build.py: py313-training, byoc-sample-py313, ...)

and asserts every selected test passed (the counts and the time are printed). The core
tests are split between the two Compose v2 flavours (FLAVOURS). Compose v2
comes from tests/compose/setup.sh (dev/setup.sh sources it; the conftest runs it if needed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "images"))

import build  # noqa: E402  (tests/images/build.py)

pytestmark = pytest.mark.e2e

E2E = "tests/e2e/"
# One test per core feature (issue 16): what differs between Compose versions is how the
# SDK's `up` runs in the foreground (training) and in a background thread (serving), how
# compose reacts to signals, and its process names.
CORE = [
    # training breakpoint (entry point, helper module, DataLoader worker)
    E2E + "test_training.py::test_breakpoints_in_entry_point_helper_and_dataloader_worker",
    # serving breakpoint (TorchServe, two workers)
    E2E + "test_serving.py::test_transform_fn_in_whichever_of_two_workers_takes_the_request",
    # watch: an edit reruns training, the breakpoint hits the new code
    E2E + "test_watch.py::test_an_edit_reruns_training_and_the_breakpoint_hits_the_new_code",
    # connect-back: the listening IDE gets every run
    E2E + "test_connect_mode.py::test_listening_ide_is_reattached_on_every_run",
    # Ctrl-C while deploy() waits for the endpoint leaves no container and no compose process
    E2E + "test_guarantees.py::test_every_ending_in_every_phase_leaves_nothing[deploy-sigint]",
]
# In Python 3.13 and 3.14 containers (debugpy traces through sys.monitoring, PEP 669): the
# entry point, a helper module and a multiprocessing child (forked on 3.13, started by the
# forkserver on 3.14) of a plain-Python training image; the bring-your-own sample's gunicorn
# with gevent workers (forked children) behind nginx. No torch: its Linux wheels for these
# Pythons are CUDA builds of several GB (TorchServe is tested on Python 3.11).
PYTHON_CORE = [
    E2E + "test_training.py::test_entry_point_helper_and_child_process_on_the_images_python",
    E2E + "test_byoc_servers.py::test_each_serving_model_stops_every_request[gevent]",
]


def run_selected(tests: list[str], env: dict[str, str], tmp_path: Path) -> None:
    """Run ``tests`` in a pytest subprocess with ``env``; assert each one passed."""
    junit = tmp_path / "junit.xml"
    log = tmp_path / "pytest.log"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                "-s",
                f"--junitxml={junit}",
                *tests,
            ],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=3600,
        )
    took = time.monotonic() - started
    output = log.read_text()
    assert junit.is_file(), f"pytest wrote no report (exit {proc.returncode}):\n{output[-6000:]}"
    cases = ET.parse(junit).getroot().iter("testcase")
    outcome = {}
    for case in cases:
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        module = (case.get("classname") or "").rpartition(".")[2]
        outcome[f"{module}::{case.get('name')}"] = (kind, float(case.get("time", 0)))
    counts = {
        k: sum(1 for v in outcome.values() if v[0] == k)
        for k in ("passed", "failure", "error", "skipped")
    }
    settings = " ".join(f"{k}={v}" for k, v in env.items())
    print(
        f"\n[matrix] {settings}: {counts['passed']} passed, {counts['failure']} failed, "
        f"{counts['error']} errors, {counts['skipped']} skipped of {len(tests)} "
        f"in {took:.0f}s"
    )
    for name, (kind, seconds) in outcome.items():
        print(f"[matrix]   {kind:8} {seconds:6.1f}s {name}")
    assert proc.returncode == 0 and counts["passed"] == len(tests), output[-12000:]


# The core tests split between the two ways Compose v2 is run: each flavour is how the SDK
# finds and starts compose (its command and process names differ); every core feature runs
# once under Compose v2, the foreground (training) and background (serving) `up` under each.
FLAVOURS = {
    "v2": [CORE[0], CORE[2], CORE[3]],  # training, watch, connect-back
    "v2-plugin": [CORE[1], CORE[4]],  # serving, Ctrl-C mid-deploy (`docker compose` is `docker`)
}


@pytest.mark.parametrize("flavour", list(FLAVOURS))
def test_core_e2e_under_compose_v2(flavour, tmp_path):
    run_selected(FLAVOURS[flavour], {"SMDEBUG_LOCAL_TEST_COMPOSE": flavour}, tmp_path)


@pytest.mark.parametrize("python", ["py313", "py314"])
def test_training_and_serving_breakpoints_in_newer_python_containers(python, tmp_path):
    images = {
        "SMDEBUG_LOCAL_TEST_PY39_IMAGE": build.ensure(f"{python}-training"),
        "SMDEBUG_LOCAL_TEST_BYOC_SAMPLE_IMAGE": build.ensure(f"byoc-sample-{python}"),
    }
    run_selected(PYTHON_CORE, images, tmp_path)

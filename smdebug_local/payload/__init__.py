"""The in-container payload and where it lives, seen from the host.

This directory is bind-mounted read-only into debugged containers and put first on their
PYTHONPATH. Only ``sitecustomize.py`` and ``_smdebug_local_boot.py`` run in there; this
``__init__`` is for the host, which reads the debugpy version table from the bootstrap so
that the cache and the container can never disagree about it.
"""

from __future__ import annotations

from pathlib import Path

from ._smdebug_local_boot import CONFIG_ENV, DEBUGPY_BUILDS, debugpy_version_for

PAYLOAD_DIR = Path(__file__).resolve().parent
CONTAINER_ROOT = "/opt/smdebug-local"
CONTAINER_BOOT_DIR = f"{CONTAINER_ROOT}/boot"
CONTAINER_DEBUGPY_DIR = f"{CONTAINER_ROOT}/debugpy"
# Writable: where debugged processes report that they are paused (watch mode reads it).
CONTAINER_STATUS_DIR = f"{CONTAINER_ROOT}/status"
CONTAINER_PYCHARM_DIR = f"{CONTAINER_ROOT}/pydevd-pycharm"
# debugpy's bytecode compiled by the image's Python (_smdebug_local_bytecode.ROOT).
CONTAINER_BYTECODE_DIR = f"{CONTAINER_ROOT}/bytecode"

__all__ = [
    "CONFIG_ENV",
    "CONTAINER_BOOT_DIR",
    "CONTAINER_BYTECODE_DIR",
    "CONTAINER_DEBUGPY_DIR",
    "CONTAINER_PYCHARM_DIR",
    "CONTAINER_ROOT",
    "CONTAINER_STATUS_DIR",
    "DEBUGPY_BUILDS",
    "PAYLOAD_DIR",
    "debugpy_version_for",
]

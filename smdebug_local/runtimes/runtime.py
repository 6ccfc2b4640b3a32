"""What one runtime is, as data (the registry is this package's ``RUNTIMES``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# A model server's response timeout while debugging: one hour, so a request held at a
# breakpoint is not answered with a timeout and its worker is not restarted.
PAUSE_TOLERANT_TIMEOUT = "3600"

# How the payload names one process of a runtime (see _smdebug_local_ranks.where).
WORKER = "worker"  # one debug port per worker: "worker N" by the port it took
RANK = "rank"  # a launcher's RANK/OMPI_COMM_WORLD_RANK/PMI_RANK: "rank R/W"
TF_CONFIG = "tf_config"  # TensorFlow's TF_CONFIG task: "chief", "worker 0", "ps 1"


@dataclass(frozen=True)
class Runtime:
    """One stack's processes that run user code, and what debugging them needs.

    name          -- registry key, and the word ``doctor`` prints
    label         -- how lines name the stack: "MMS", "TorchServe"
    role          -- the local-mode role whose containers run it
    match         -- fnmatch patterns of the program a process runs (its script, or the
                     file ``python -m`` runs, or an embedded interpreter's executable)
    args          -- if set, one of the process's arguments must match one of these
                     (gunicorn runs every Python app; the app names the stack)
    env           -- fnmatch patterns the container's environment must match (a DLC says
                     its toolkit in SAGEMAKER_TRAINING_MODULE / SAGEMAKER_SERVING_MODULE)
    embedded      -- the program is an interpreter embedded in a binary (``sys.argv`` is
                     ``['']``): the payload recognises it by ``/proc/self/exe``
    defer         -- start the debugger only when the process imports the user's code
                     (the server's own imports run untraced: faster worker starts)
    processes     -- how one process is named: WORKER, RANK, TF_CONFIG or ""
    in_process    -- debugpy serves the IDE from inside the process, with no adapter
                     process beside it (a worker starts about 0.3 s sooner); processes it
                     starts are not debugged, so only for stacks whose user code runs in
                     the process itself
    code_dirs     -- container folders this stack imports the user's code from, the first
                     the one its processes run (the primary path mapping; deferred starts
                     watch them all)
    own_dirs      -- image folders that are the stack's own, never a bring-your-own
                     program folder of the user's
    env_defaults  -- environment set unless the job sets it: timeouts lifted while paused
    debugs        -- what is debugged, in a few words (``doctor --image``)
    """

    name: str
    label: str
    role: str
    match: tuple[str, ...]
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    embedded: bool = False
    defer: bool = False
    processes: str = ""
    in_process: bool = False
    code_dirs: tuple[str, ...] = ()
    own_dirs: tuple[str, ...] = ()
    env_defaults: Mapping[str, str] = field(default_factory=dict)
    debugs: str = ""

    def payload(self) -> dict:
        """This runtime as the payload reads it (``stacks`` in its configuration)."""
        return {
            "label": self.label,
            "match": list(self.match),
            **({"args": list(self.args)} if self.args else {}),
            **({"env": dict(self.env)} if self.env else {}),
            **({"embedded": True} if self.embedded else {}),
            **({"processes": self.processes} if self.processes else {}),
            **({"in_process": True} if self.in_process else {}),
        }

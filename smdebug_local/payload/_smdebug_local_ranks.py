"""Which process this is -- its stack, its rank or task -- and who says a line: part of
the payload.

Loaded by the bootstrap in the containers (stdlib only, Python 3.8 syntax, like it).
The host sends the role's stacks (``smdebug_local.runtimes``) as data; the first whose
conditions hold names the process. Launchers (torchrun, Open MPI, MPICH) say a process's
rank in its environment, TensorFlow its task in ``TF_CONFIG``; the rank names the process
in every line and decides which of the container's debug ports it takes.
"""

import fnmatch
import json

# Where launchers say which rank a process is: torchrun (and torch.distributed.launch),
# Open MPI, MPICH/Intel MPI.
RANK_VARIABLES = (
    ("RANK", "WORLD_SIZE"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("PMI_RANK", "PMI_SIZE"),
)


def rank_of(environ):
    """``(rank, world size)`` of this process in a distributed job, or None."""
    for rank, size in RANK_VARIABLES:
        if environ.get(rank, "").isdecimal() and environ.get(size, "").isdecimal():
            return int(environ[rank]), int(environ[size])
    return None


# Where launchers say which of its host's processes a rank is.
LOCAL_RANK_VARIABLES = ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID")


def port_slot(config, environ):
    """Which of the container's debug ports this rank takes: its local rank, or with
    ``ranks`` (``--ranks``) its place among the chosen ranks of its host -- so a rank has
    the same port every run and the IDE's configuration for it names it. None: not a rank
    (the first free port)."""
    rank = rank_of(environ)
    local = None
    for name in LOCAL_RANK_VARIABLES:
        if environ.get(name, "").isdecimal():
            local = int(environ[name])
            break
    if rank is None or local is None or local > rank[0]:
        return None
    ranks = config.get("ranks")
    if ranks is None:
        return local
    first = rank[0] - local
    return sum(1 for r in ranks if first <= r < rank[0])


def stack_of(stacks, path, argv, environ, matches):
    """The first of ``stacks`` (the host's ``runtimes.payload``) that this process is:
    its program matches, one of its arguments if the stack names some, and the
    container's environment; ``{}`` when none is. ``matches(path, patterns)`` is the
    bootstrap's path test."""
    for stack in stacks or ():
        if not matches(path, stack.get("match") or []):
            continue
        args = stack.get("args") or []
        if args and not any(fnmatch.fnmatchcase(a, p) for a in argv for p in args):
            continue
        env = stack.get("env") or {}
        if all(fnmatch.fnmatchcase(environ.get(k, ""), v) for k, v in env.items()):
            return stack
    return {}


def tf_task(environ):
    """``chief``, ``worker 1``, ``ps 0``: this process's task in TensorFlow's TF_CONFIG
    (the one chief -- ``master`` in the SageMaker toolkit's -- has no index)."""
    try:
        task = json.loads(environ.get("TF_CONFIG") or "{}").get("task") or {}
    except (ValueError, AttributeError):
        return None
    kind, index = task.get("type"), task.get("index")
    if not isinstance(kind, str) or not kind:
        return None
    return (
        kind
        if kind in ("chief", "master") or not isinstance(index, int)
        else "%s %d" % (kind, index)
    )


def tf_parameter_servers(environ):
    """``["ps 0"]``: the parameter servers of TensorFlow's TF_CONFIG on this process's host
    (the SageMaker toolkit runs one per host in its own process, beside the script)."""
    try:
        doc = json.loads(environ.get("TF_CONFIG") or "{}")
        cluster, task = doc.get("cluster") or {}, doc.get("task") or {}
        own = cluster[task["type"]][task["index"]].rsplit(":", 1)[0]
        servers = cluster.get("ps") or []
    except (ValueError, AttributeError, KeyError, IndexError, TypeError):
        return []
    return ["ps %d" % i for i, address in enumerate(servers) if address.rsplit(":", 1)[0] == own]


def where(config, environ):
    """Who says a line: ``training algo-1``, ``training algo-1 rank 1/4 (PyTorch)``,
    ``serving algo-1 worker 2 (MMS)``, ``training algo-2 worker 0 (TensorFlow)``; in a
    local pipeline ``training algo-1 (step Train)``, ``serving algo-1 worker 1
    (TorchServe, step Score)``. ``config["stack"]`` is this process's stack,
    ``config["worker"]`` which of the container's ports it took (1-based), both set by the
    bootstrap; ``config["step"]`` the pipeline step, set by the host.

    The step shares the one parenthesis with the stack, so the line keeps the shape IDE
    tasks already match (``(...)`` between the process and "waiting")."""
    text = "%s %s" % (config.get("role", "container"), config.get("host", ""))
    text = text.strip()
    stack = config.get("stack") or {}
    rank = rank_of(environ)
    task = tf_task(environ) if stack.get("processes") == "tf_config" else None
    if rank is not None and rank[1] > 1:
        text = "%s rank %d/%d" % (text, rank[0], rank[1])
    elif task:
        text = "%s %s" % (text, task)
    elif stack.get("processes") == "worker" and config.get("worker"):
        text = "%s worker %d" % (text, config["worker"])
    about = [stack["label"]] if stack.get("label") else []
    if config.get("step"):
        about.append("step %s" % config["step"])
    if about:
        text = "%s (%s)" % (text, ", ".join(about))
    return text

"""Which process of a distributed job this is, and who says a line: part of the payload.

Loaded by the bootstrap in the containers (stdlib only, Python 3.8 syntax, like it).
Launchers (torchrun, Open MPI, MPICH) say a process's rank in its environment; the rank
names the process in every line and decides which of the container's debug ports it takes.
"""

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


def where(config, environ):
    """``training algo-1`` or ``training algo-1 rank 1/4``: who says a line."""
    text = "%s %s" % (config.get("role", "container"), config.get("host", ""))
    rank = rank_of(environ)
    if rank is not None and rank[1] > 1:
        text = "%s rank %d/%d" % (text.strip(), rank[0], rank[1])
    return text.strip()

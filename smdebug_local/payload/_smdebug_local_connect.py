"""Connect-back mode: reaching the IDE that listens for this container's debugger.

Part of the payload (stdlib only, Python 3.8 syntax); the bootstrap loads it only when a
container is to connect back (``--mode connect``), so listen mode never imports it.
"""

import socket
import time

# How long a process keeps trying to reach the IDE in connect mode: a waiting entry point
# gives the user time to start the IDE's listener; others only bridge a short race.
CONNECT_PATIENCE = {True: 300.0, False: 10.0}


def listening(address):
    """True if something accepts TCP connections at ``address``."""
    try:
        socket.create_connection((address[0], int(address[1])), timeout=2).close()
        return True
    except OSError:
        return False


def connect(
    debugpy,
    address,
    patience,
    sleep=time.sleep,
    clock=time.time,
    probe=listening,
    dial=socket.create_connection,
    answer_within=5.0,
):
    """Connect to the IDE listening at ``address``, waiting up to ``patience`` seconds for
    it to listen. debugpy.connect() cannot be retried (after one refusal a second call
    hangs), so a plain TCP probe waits for the listener first; debugpy's adapter drops such
    a probe and goes on listening.

    debugpy.connect() also hangs for good on a listener that accepts the connection but
    never speaks -- a socket left listening by a debug adapter whose IDE went away (a
    reloaded VS Code window) does exactly that. debugpy's adapter sends its first request
    the moment it accepts a debuggee, so one more probe reads: nothing within
    ``answer_within`` seconds means no debugger will ever answer there, and we give up with
    the fix instead of hanging.
    """
    host, port = address[0], int(address[1])
    deadline = clock() + patience
    while not probe(address):
        if clock() >= deadline:
            raise RuntimeError(
                "no debugger listening on %s:%s; start your IDE's listen configuration first"
                % (host, port)
            )
        sleep(0.5)
    try:
        with dial((host, port), timeout=answer_within) as sock:
            sock.recv(1)
    except socket.timeout:
        raise RuntimeError(
            "something on %s:%s accepted the connection but sent nothing in %gs: not a "
            "debugger (an IDE listener left behind, e.g. by a reloaded VS Code window?); end "
            "the process holding port %s on the host, then start your IDE's listen "
            "configuration again" % (host, port, answer_within, port)
        ) from None
    except OSError:
        pass  # gone since the probe, or unresolvable: debugpy.connect() reports it
    debugpy.connect((host, port))

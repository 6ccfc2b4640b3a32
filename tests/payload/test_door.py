"""The door on debugpy's adapter (_smdebug_local_door): who gets handed to the adapter."""

import os
import socket
import threading
import types

import _smdebug_local_boot as boot
import _smdebug_local_door as door
import pytest

# /proc/net/tcp as Linux writes it: a listener on 127.0.0.1:5678 (uid 0), the client end of
# a connection to it from port 40000 (uid 1001), and the server end (uid 0).
TCP = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n",
    "   0: 0100007F:162E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
    "0 1 1 0000000000000000 100 0 0 10 0\n",
    "   1: 0100007F:9C40 0100007F:162E 01 00000000:00000000 00:00000000 00000000  1001        "
    "0 2 1 0000000000000000 20 4 30 10 -1\n",
    "   2: 0100007F:162E 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        "
    "0 3 1 0000000000000000 20 4 30 10 -1\n",
]
# /proc/net/tcp6: an IPv4-mapped client of [::ffff:127.0.0.1]:5678, uid 1002.
TCP6 = [
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
    "   0: 0000000000000000FFFF00000100007F:9C41 0000000000000000FFFF00000100007F:162E 01 "
    "00000000:00000000 00:00000000 00000000  1002        0 4 1 0000000000000000 20 4 30 10 -1\n",
]
TABLES = {"tcp": TCP, "tcp6": TCP6}


def read(path):
    return TABLES[os.path.basename(path)]


def test_the_kernel_table_names_the_owner_of_the_connecting_socket():
    here = ("127.0.0.1", 5678)
    assert door.socket_owner(("127.0.0.1", 40000), here, ("tcp", "tcp6"), read) == 1001
    assert door.socket_owner(("127.0.0.1", 40001), here, ("tcp", "tcp6"), read) == 1002
    assert door.socket_owner(("127.0.0.1", 40002), here, ("tcp", "tcp6"), read) is None


def test_only_this_users_own_sockets_pass_the_owner_door():
    client = types.SimpleNamespace(
        getpeername=lambda: ("127.0.0.1", 40000), getsockname=lambda: ("127.0.0.1", 5678)
    )
    owners = {("127.0.0.1", 40000): 1001}
    owner = lambda local, remote: owners.get(tuple(local))  # noqa: E731
    assert door.peer_is_owner(client, uid=1001, owner=owner)
    assert not door.peer_is_owner(client, uid=0, owner=owner)
    owners.clear()  # not in the table (another network namespace): no
    assert not door.peer_is_owner(client, uid=1001, owner=owner)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="Linux socket tables")
def test_a_real_loopback_connection_is_this_users():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    try:
        assert door.peer_is_owner(accepted)
        assert not door.peer_is_owner(accepted, uid=os.getuid() + 1)
    finally:
        for sock in (client, accepted, server):
            sock.close()


def pair_with(data):
    """The server end of a connection whose client sent ``data``."""
    ours, theirs = socket.socketpair()
    theirs.sendall(data)
    return ours, theirs


def test_the_secret_door_reads_its_line_and_nothing_after_it():
    ours, theirs = pair_with(door.line_for("ab12") + b"Content-Length: 2\r\n\r\n{}")
    try:
        assert door.knows_secret(ours, "ab12")
        assert ours.recv(100) == b"Content-Length: 2\r\n\r\n{}"  # the DAP stream, intact
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize(
    "sent",
    [b"SMDEBUG-LOCAL cd34\n", b"Content-Length: 20\r\n", b"SMDEBUG-LOCAL ab12", b"x" * 500],
)
def test_a_wrong_missing_or_endless_line_fails(sent):
    ours, theirs = pair_with(sent)
    if sent.endswith(b"ab12"):
        theirs.shutdown(socket.SHUT_WR)  # no newline ever comes
    try:
        assert not door.knows_secret(ours, "ab12", timeout=1)
    finally:
        ours.close()
        theirs.close()


def test_a_client_that_sends_nothing_times_out():
    ours, theirs = socket.socketpair()
    try:
        assert not door.knows_secret(ours, "ab12", timeout=0.2)
    finally:
        ours.close()
        theirs.close()


def test_doors_by_name():
    assert door.check_for("owner") is door.peer_is_owner
    for bad in ("secret:", "open", None):
        with pytest.raises(ValueError):
            door.check_for(bad)


def test_guarded_listener_hands_over_only_checked_connections():
    handed = []
    done = threading.Event()

    def handler(sock):
        handed.append(sock)
        done.set()

    sockets = types.SimpleNamespace(serve=lambda name, handler, *a, **k: (name, handler))
    door.guard_module(sockets, check=lambda sock: sock == "good")
    name, client_handler = sockets.serve("Client", handler, "0.0.0.0", 5678)
    assert name == "Client" and client_handler is not handler
    _, server_handler = sockets.serve("Server", handler, "127.0.0.1", 0)
    assert server_handler is handler  # debugpy's own server connections are not ours

    client_handler("good")
    assert done.wait(5) and handed == ["good"]
    closed = threading.Event()
    bad = types.SimpleNamespace(close=closed.set)
    client_handler(bad)
    assert closed.wait(5) and handed == ["good"]


@pytest.mark.parametrize(
    "argv, adapter",
    [
        (["/opt/smdebug-local/debugpy/1.8.22/debugpy/adapter", "--for-server", "1"], True),
        (["/x/debugpy/adapter/__main__.py"], True),
        (["/opt/ml/code/adapter"], False),
        (["/opt/ml/code/train.py"], False),
        ([""], False),
        ([], False),
    ],
)
def test_the_bootstrap_knows_debugpys_adapter(argv, adapter):
    assert boot._is_adapter(argv) is adapter


def test_a_door_that_cannot_be_put_on_stops_the_adapter(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, door.SOCKETS_MODULE, object())
    with pytest.raises(SystemExit):
        door.install_from('{"door": "owner"}')
    monkeypatch.delitem(__import__("sys").modules, door.SOCKETS_MODULE)
    with pytest.raises(SystemExit):
        door.install_from('{"door": "open"}')
    with pytest.raises(SystemExit):
        door.install_from("not json")
    door.install_from('{"connect": ["host.docker.internal", 5678]}')  # nothing to guard


def test_the_adapter_gets_the_payload_and_its_door_whatever_the_process_did_to_its_env():
    env = door.adapter_environment("secret:ab12", {"PYTHONPATH": "/img", "HOME": "/root"})
    here = os.path.dirname(os.path.abspath(door.__file__))
    assert env["PYTHONPATH"] == here + os.pathsep + "/img" and env["HOME"] == "/root"
    assert env["SMDEBUG_LOCAL"] == '{"door": "secret:ab12"}'
    assert door.adapter_environment("owner", {})["PYTHONPATH"] == here


def test_pydevds_own_server_accepts_only_connections_that_pass_the_door():
    """debugpy without an adapter: pydevd accepts IDE connections itself, through this."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    server = door.GuardedServer(listener, lambda sock: door.knows_secret(sock, "ab12", 2))
    address = server.getsockname()
    stranger = socket.create_connection(address)
    stranger.sendall(b"Content-Length: 2\r\n\r\n{}")
    ide = socket.create_connection(address)
    ide.sendall(door.line_for("ab12") + b"DAP")
    try:
        conn, _ = server.accept()  # only the IDE's, with its bytes after the line intact
        assert conn.recv(3) == b"DAP"
        stranger.settimeout(5)
        try:
            assert stranger.recv(1) == b""  # closed without a byte
        except ConnectionResetError:
            pass  # closed with its bytes unread: the same, said by a reset
        conn.close()
        server.close()
        with pytest.raises(OSError):
            server.accept()  # pydevd's accept loop ends as with its own socket
    finally:
        stranger.close()
        ide.close()

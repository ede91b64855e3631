"""Ending this node's BGP sessions at once, from the kernel (sock_diag's SOCK_DESTROY, what `ss -K` does):
the routers see the connection reset and drop every route the node gave them straight away. A withdraw
by update waits in bgpd's 50 ms queue on the node before it waits in the router's; this skips the first.
Used when the node can no longer serve at all; bgpd connects again by itself within seconds."""

from __future__ import annotations

import socket
import struct

from .nlmsg import replies

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY, SOCK_DESTROY = 20, 21
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
TCP_ESTABLISHED = 1
BGP_PORT = 179
SOCKID = struct.Struct("!HH16s16s12x")
"""inet_diag_sockid: ports, source, destination (network order), then interface and cookie, kept as sent."""
DIAG_MSG_ID_AT = 4


def _request(kind: int, flags: int, states: int, sockid: bytes, seq: int) -> bytes:
    body = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, states) + sockid
    return struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags, seq, 0) + body


def abort_bgp_sessions(routers: list[str]) -> int:
    """Resets every established BGP connection to one of `routers`; how many. OSError if the kernel
    refuses (one built without CONFIG_INET_DIAG_DESTROY answers EOPNOTSUPP)."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        sock.settimeout(1.0)
        sessions = [sockid for sockid, _router in _bgp_connections(sock, routers)]
        for seq, sockid in enumerate(sessions, start=2):
            sock.send(_request(SOCK_DESTROY, NLM_F_ACK, 0xFFFFFFFF, sockid, seq))
            replies(sock)
    return len(sessions)


def routers_connected(routers: list[str]) -> set[str]:
    """Those of `routers` this node has an established BGP (TCP 179) connection with: the kernel's word,
    asked in microseconds without a fork (OSError when it will not say)."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        sock.settimeout(1.0)
        return {router for _sockid, router in _bgp_connections(sock, routers)}


def _bgp_connections(sock: socket.socket, routers: list[str]) -> list[tuple[bytes, str]]:
    wanted = {socket.inet_aton(address): address for address in routers}
    sock.send(_request(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, 1 << TCP_ESTABLISHED, bytes(SOCKID.size), 1))
    found = []
    for _kind, payload in replies(sock):
        sockid = payload[DIAG_MSG_ID_AT : DIAG_MSG_ID_AT + SOCKID.size]
        source_port, destination_port, _source, destination = SOCKID.unpack(sockid)
        if BGP_PORT in (source_port, destination_port) and destination[:4] in wanted:
            found.append((sockid, wanted[destination[:4]]))
    return found

"""Does this node hold an address now (a VIP: VRRP's master, or every node with `routing: bgp`)? The
kernel's own route lookup answers, over netlink, in microseconds."""

from __future__ import annotations

import os
import socket
import struct

from .nlmsg import replies

RTM_NEWROUTE, RTM_GETROUTE = 24, 26
RTA_DST = 1
RTN_LOCAL = 2
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4


def is_local(address: str) -> bool:
    """True when the kernel would deliver a packet for `address` (IPv4) here rather than route it."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(1.0)
        attribute = struct.pack("=HH", 8, RTA_DST) + socket.inet_aton(address)
        body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, 0) + attribute
        sock.send(struct.pack("=IHHII", 16 + len(body), RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK, 1, os.getpid()) + body)
        try:
            answers = replies(sock)
        except OSError:  # no route at all: certainly not ours
            return False
    return any(kind == RTM_NEWROUTE and len(payload) > 7 and payload[7] == RTN_LOCAL for kind, payload in answers)

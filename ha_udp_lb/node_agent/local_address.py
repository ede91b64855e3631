"""Does this node hold a VIP now? Every node keeps every VIP on lo (loopback-vips), so the kernel's
route lookup says "local" everywhere: with VRRP the holder is the node that has it on an interface of
its own besides lo (keepalived puts it there on the master); with `routing: bgp` every node that has it
holds it. Asked over netlink, in microseconds."""

from __future__ import annotations

import os
import socket
import struct

from .nlmsg import attributes, replies

RTM_NEWADDR, RTM_GETADDR = 20, 22
IFA_ADDRESS, IFA_LOCAL = 1, 2
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300


def holds(address: str, on_lo_too: bool) -> bool:
    """True when `address` (IPv4) is on one of this node's interfaces (not counting lo unless `on_lo_too`)."""
    return address in held([address], on_lo_too)


def held(addresses: list[str], on_lo_too: bool) -> set[str]:
    """Those of `addresses` (IPv4) on one of this node's interfaces (lo counted only if `on_lo_too`): one dump."""
    wanted = {socket.inet_aton(address): address for address in addresses}
    loopback = socket.if_nametoindex("lo")
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(1.0)
        body = struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0)
        sock.send(struct.pack("=IHHII", 16 + len(body), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 1, os.getpid()) + body)
        answers = replies(sock)
    found: set[str] = set()
    for kind, payload in answers:
        if kind != RTM_NEWADDR or len(payload) < 8:
            continue
        (index,) = struct.unpack_from("=I", payload, 4)
        if index == loopback and not on_lo_too:
            continue
        attrs = attributes(payload[8:])
        found |= {wanted[a] for a in (attrs.get(IFA_ADDRESS), attrs.get(IFA_LOCAL)) if a in wanted}
    return found

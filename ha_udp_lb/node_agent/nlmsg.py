"""Reading a netlink socket's answer, and its attributes, for every netlink family the agent asks
(nftables, nfnetlink_log, rtnetlink, sock_diag)."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_TYPE_MASK = 0x3FFF


def replies(sock: socket.socket) -> list[tuple[int, bytes]]:
    """(type, payload) of each message until a dump's end or an acknowledgement; OSError on an error."""
    found: list[tuple[int, bytes]] = []
    while True:
        data, offset = sock.recv(1 << 16), 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            payload = data[offset + 16 : offset + length]
            offset += length + (-length % 4)
            if kind == NLMSG_DONE:
                return found
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from("=i", payload)
                if error:
                    raise OSError(-error, os.strerror(-error))
                return found
            found.append((kind, payload))


def attribute(kind: int, payload: bytes) -> bytes:
    """One netlink attribute (type-length-value, padded to 4 bytes)."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def attributes(data: bytes) -> dict[int, bytes]:
    """Attribute type (flags masked) → payload, for each attribute in `data`."""
    return dict(each_attribute(data))


def each_attribute(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type with flags masked, payload) of each attribute in `data`, repeated types included (a list)."""
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            return
        yield kind & NLA_TYPE_MASK, data[offset + 4 : offset + length]
        offset += length + (-length % 4)

"""Reading a netlink socket's answer, for every netlink family the agent asks (nftables, sock_diag)."""

from __future__ import annotations

import os
import socket
import struct

NLMSG_ERROR, NLMSG_DONE = 2, 3


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

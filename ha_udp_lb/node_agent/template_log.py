"""The template packets the node's table copies to the agent (nftables `log group`, nfnetlink_log):
the rule matches only export packets whose first set is a template set, so the agent sees those and
nothing of the data, which the kernel forwards as before."""

from __future__ import annotations

import errno
import socket
import struct
from typing import NamedTuple

from .nlmsg import attribute, attributes

NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET, NFULNL_MSG_CONFIG = 0, 1
NFULA_CFG_CMD, NFULA_CFG_MODE, NFULA_CFG_TIMEOUT, NFULA_CFG_QTHRESH = 1, 2, 4, 5
NFULNL_CFG_CMD_BIND = 1
NFULNL_COPY_PACKET = 2
NFULA_PAYLOAD = 9
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
RECEIVE_BUFFER = 4 << 20
PER_TURN = 512
"""Messages read per turn at most: a flood of template packets costs the agent a bounded slice."""


class Datagram(NamedTuple):
    source: str
    source_port: int
    destination: str
    destination_port: int
    payload: bytes


class TemplateLog:
    def __init__(self, group: int) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self.sock.bind((0, 0))
        self.overruns = 0
        """Times the kernel had more to give than the socket held (ENOBUFS): template packets missed."""
        self._configure(group, attribute(NFULA_CFG_CMD, bytes([NFULNL_CFG_CMD_BIND])))
        self._configure(group, attribute(NFULA_CFG_MODE, struct.pack("!IBB", 0xFFFF, NFULNL_COPY_PACKET, 0)))
        # Each copy at once: the kernel's default holds them until 100 are queued or a second has passed,
        # and an options template must be known before its data (often the next packet) passes the table.
        self._configure(group, attribute(NFULA_CFG_QTHRESH, struct.pack("!I", 1)))
        self._configure(group, attribute(NFULA_CFG_TIMEOUT, struct.pack("!I", 1)))

    def fileno(self) -> int:
        return self.sock.fileno()

    def receive(self) -> list[Datagram]:
        found: list[Datagram] = []
        for _ in range(PER_TURN):
            try:
                data = self.sock.recv(1 << 17)
            except BlockingIOError:
                break
            except OSError as error:
                if error.errno != errno.ENOBUFS:
                    raise
                self.overruns += 1
                continue
            found += filter(None, (udp_datagram(packet) for packet in _payloads(data)))
        return found

    def _configure(self, group: int, attribute: bytes) -> None:
        body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(group)) + attribute
        kind = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG
        self.sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | NLM_F_ACK, 0, 0) + body)
        self.sock.settimeout(1.0)
        try:
            reply = self.sock.recv(4096)
        finally:
            self.sock.setblocking(False)
        (code,) = struct.unpack_from("=i", reply, 16)
        if code:
            raise OSError(-code, f"nfnetlink_log group {group}: {errno.errorcode.get(-code, code)}")


def _payloads(data: bytes) -> list[bytes]:
    """The packet (from its IP header) of each logged message in one read."""
    found, offset = [], 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            break
        if kind == (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET:
            packet = attributes(data[offset + 20 : offset + length]).get(NFULA_PAYLOAD)
            if packet is not None:
                found.append(packet)
        offset += length + (-length % 4)
    return found


def udp_datagram(packet: bytes) -> Datagram | None:
    """An IPv4 UDP packet's addresses, ports and payload; None for anything else (IPv6 is not replayed)."""
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != socket.IPPROTO_UDP:
        return None
    header = (packet[0] & 0x0F) * 4
    (total,) = struct.unpack_from("!H", packet, 2)
    if header < 20 or total > len(packet) or header + 8 > total:
        return None
    source_port, destination_port = struct.unpack_from("!HH", packet, header)
    source, destination = socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20])
    return Datagram(source, source_port, destination, destination_port, packet[header + 8 : total])

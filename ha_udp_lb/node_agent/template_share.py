"""Templates shared between the stack's nodes, so that the node that takes a VIP over already has
every exporter's templates: the exporters' packets reach the master alone, and a collector death right
after a failover would otherwise cost what it did before template continuity (issue 30).

Each template packet the table copies is sent on, as it came (exporter, VIP, payload), to every peer
node's agent over UDP: when it changed what the node keeps, and otherwise at most once a minute per
exporter (a peer that restarted gets everything back within a minute). A node takes shares only from
its peers' addresses: the trust VRRP's unicast peers already have."""

from __future__ import annotations

import socket
import struct

from .template_log import PER_TURN, Datagram

MAGIC = b"HULBTPL1"
HEADER = struct.Struct("!4sH4sH")


class TemplateShare:
    def __init__(self, listen: str, peers: list[str], port: int) -> None:
        family = socket.AF_INET6 if ":" in listen else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind((listen, port))
        self.peers, self.port = set(peers), port
        self.sent = self.received = self.refused = 0

    def send(self, datagram: Datagram) -> None:
        message = MAGIC + encode(datagram)
        for peer in self.peers:
            try:
                self.sock.sendto(message, (peer, self.port))
                self.sent += 1
            except OSError:  # a peer down or unreachable: it gets the next share, or a refresh
                self.refused += 1

    def receive(self) -> list[Datagram]:
        found = []
        for _ in range(PER_TURN):
            try:
                message, sender = self.sock.recvfrom(1 << 16)
            except BlockingIOError:
                break
            datagram = decode(message[len(MAGIC) :]) if message.startswith(MAGIC) else None
            if sender[0] not in self.peers or datagram is None:
                self.refused += 1
                continue
            self.received += 1
            found.append(datagram)
        return found


def encode(datagram: Datagram) -> bytes:
    source, destination = socket.inet_aton(datagram.source), socket.inet_aton(datagram.destination)
    return HEADER.pack(source, datagram.source_port, destination, datagram.destination_port) + datagram.payload


def decode(message: bytes) -> Datagram | None:
    if len(message) < HEADER.size:
        return None
    source, source_port, destination, destination_port = HEADER.unpack_from(message)
    return Datagram(
        socket.inet_ntoa(source), source_port, socket.inet_ntoa(destination), destination_port, message[HEADER.size :]
    )

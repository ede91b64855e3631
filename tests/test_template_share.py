"""Templates shared between nodes (node_agent.template_share), on this machine's loopback: what one
node sends its peer arrives as it was sent; a sender that is not a peer is refused and counted."""

from __future__ import annotations

import socket
import time

from ha_udp_lb.node_agent.template_log import Datagram
from ha_udp_lb.node_agent.template_share import MAGIC, TemplateShare, encode

PORT = 47955


def received(share: TemplateShare) -> list[Datagram]:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        found = share.receive()
        if found or share.refused:
            return found
        time.sleep(0.01)
    return []


def test_a_peer_gets_the_packet_as_it_came_and_a_stranger_is_refused() -> None:
    first = TemplateShare("127.0.0.1", ["127.0.0.2"], PORT)
    second = TemplateShare("127.0.0.2", ["127.0.0.1"], PORT)
    try:
        datagram = Datagram("198.18.5.1", 40000, "198.18.0.100", 2055, b"\x00\x09template")
        first.send(datagram)
        assert received(second) == [datagram] and first.sent == 1 and second.received == 1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            stranger.bind(("127.0.0.3", 0))
            stranger.sendto(MAGIC + encode(datagram), ("127.0.0.2", PORT))
        assert received(second) == [] and second.refused == 1
    finally:
        first.sock.close()
        second.sock.close()

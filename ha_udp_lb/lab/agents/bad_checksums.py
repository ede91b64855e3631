"""Datagrams whose UDP checksum is wrong (run inside an exporter namespace): COUNT of them from SOURCE to
HOST:PORT over SECONDS, built whole with a raw socket (the kernel would fix a normal socket's). The
receiving node's kernel drops each and counts it (UDP InCsumErrors): a drop an operator is alerted on.
Bounded: COUNT at most 10,000, HOST inside 198.18.0.0/15.

Usage: python -m ha_udp_lb.lab.agents.bad_checksums SOURCE HOST:PORT COUNT SECONDS
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
import time

from ha_udp_lb.node_agent.replay_device import udp_packet

MAX_COUNT = 10_000
LAB = ipaddress.ip_network("198.18.0.0/15")


def main(argv: list[str]) -> None:
    source, destination, count, seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    host, _, port = destination.rpartition(":")
    if not 0 < count <= MAX_COUNT or ipaddress.ip_address(host) not in LAB:
        sys.exit(f"bad_checksums: COUNT 1..{MAX_COUNT}, HOST in {LAB}")
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as sock:
        started = time.monotonic()
        for index in range(count):
            packet = udp_packet(source, 40000, host, int(port), b"checksum drill %d" % index)
            broken = packet[:26] + struct.pack("!H", struct.unpack("!H", packet[26:28])[0] ^ 0x5A5A) + packet[28:]
            sock.sendto(broken, (host, 0))
            time.sleep(max(0.0, started + (index + 1) * seconds / count - time.monotonic()))


if __name__ == "__main__":
    main(sys.argv[1:])

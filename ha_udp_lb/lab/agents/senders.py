"""Many exporters at once from one process (run inside an exporter namespace): each ADDRESS sends
COUNT datagrams of 100 bytes to HOST:PORT from a port of its own, paced over about a second, so a
receiver can tell who each came from. Bounded: COUNT at most 1,000, at most 200 addresses.

Usage: python -m ha_udp_lb.lab.agents.senders HOST:PORT COUNT ADDRESS...
"""

from __future__ import annotations

import os
import socket
import sys
import time

MAX_COUNT, MAX_ADDRESSES = 1000, 200


def main(argv: list[str]) -> None:
    destination, count, addresses = argv[0], int(argv[1]), argv[2:]
    if not 0 < count <= MAX_COUNT or not 0 < len(addresses) <= MAX_ADDRESSES:
        sys.exit(f"senders: COUNT 1..{MAX_COUNT} and 1..{MAX_ADDRESSES} addresses")
    host, _, port = destination.rpartition(":")
    target = (host.strip("[]"), int(port))
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    sockets = []
    for address in addresses:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((address, 0))
        sockets.append(sock)
    for _ in range(count):
        for sock in sockets:
            sock.sendto(os.urandom(100), target)
        time.sleep(1.0 / count)
    for sock in sockets:
        sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])

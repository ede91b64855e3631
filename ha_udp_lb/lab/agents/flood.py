"""One exporter gone wild (run inside its namespace): COUNT datagrams of 200 bytes from SOURCE, spread
evenly over SECONDS, each as lab.agents.datagrams fills them, so a receiver can tell which arrived.

Usage: python -m ha_udp_lb.lab.agents.flood SOURCE HOST:PORT SEED COUNT SECONDS
"""

from __future__ import annotations

import socket
import sys
import time

from .datagrams import payload

SIZE, BATCH = 200, 10
"""Datagrams are sent in batches of 10, a sleep between: a steady rate without a timer per datagram."""


def main(argv: list[str]) -> None:
    source, destination, seed, count, seconds = argv
    host, _, port = destination.rpartition(":")
    total, started = int(count), time.monotonic()
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for index in range(total):
            sock.sendto(payload(int(seed), index, SIZE), (host.strip("[]"), int(port)))
            if index % BATCH == BATCH - 1:
                time.sleep(max(0.0, started + (index + 1) * float(seconds) / total - time.monotonic()))


if __name__ == "__main__":
    main(sys.argv[1:])

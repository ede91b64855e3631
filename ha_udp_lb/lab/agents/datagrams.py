"""Send datagrams of given sizes from one exporter's address (run inside its namespace), each filled
with bytes nobody else sends, so a receiver can tell it arrived whole and whose it is.

Usage: python -m ha_udp_lb.lab.agents.datagrams SOURCE[:PORT] HOST:PORT SEED SIZE...
"""

from __future__ import annotations

import hashlib
import socket
import sys
import time

GAP_S = 0.01


def payload(seed: int, index: int, size: int) -> bytes:
    """The `index`th datagram of sender `seed`: `size` bytes, the same in every process."""
    block = hashlib.blake2b(f"{seed}|{index}|{size}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def main(argv: list[str]) -> None:
    source, destination, seed, *sizes = argv
    host, _, port = destination.rpartition(":")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address, source_port = source.rpartition(":")[::2] if source.count(":") == 1 else (source, "0")
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((address, int(source_port)))
        for index, size in enumerate(map(int, sizes)):
            sock.sendto(payload(int(seed), index, size), (host.strip("[]"), int(port)))
            time.sleep(GAP_S)


if __name__ == "__main__":
    main(sys.argv[1:])

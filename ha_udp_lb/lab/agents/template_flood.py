"""A hostile NetFlow v9/IPFIX exporter: PACKETS packets spread evenly over SECONDS seconds,
template packets each defining TEMPLATES new template IDs (a flood of IDs), alternating with packets
that lie — set lengths past the packet's end, field counts of 65,535, options scopes that do not add
up. Run inside an exporter's namespace; it prints how many packets it sent.

Usage: python -m ha_udp_lb.lab.agents.template_flood SOURCE HOST:PORT PACKETS SECONDS
"""

from __future__ import annotations

import socket
import struct
import sys
import time

TEMPLATES = 20


def flood_packet(n: int) -> bytes:
    """The nth packet: a fresh run of template IDs (v9 or IPFIX), or a lie of one of three kinds."""
    version = 9 if n % 2 == 0 else 10
    kind = n % 8
    if kind == 5:  # a set that claims more than the packet holds
        sets = struct.pack("!HHHH", (0, 2)[version == 10], 60_000, 256, 1)
    elif kind == 6:  # a template of 65,535 fields, with four bytes of them
        sets = struct.pack("!HHHHHH", (0, 2)[version == 10], 12, 300, 0xFFFF, 8, 4)
    elif kind == 7:  # options: scope and option lengths that are not whole fields
        sets = struct.pack("!HHHHHHH", (1, 3)[version == 10], 14, 400, 3, 5, 1, 4)
    else:
        first = 256 + (n * TEMPLATES) % 60_000
        body = b"".join(struct.pack("!HHHHHH", first + i, 2, 8, 4, 12, 4) for i in range(TEMPLATES))
        sets = struct.pack("!HH", (0, 2)[version == 10], 4 + len(body)) + body
    if version == 9:
        return struct.pack("!HHIIII", 9, TEMPLATES, 1000, int(time.time()), n, 0) + sets
    return struct.pack("!HHIII", 10, 16 + len(sets), int(time.time()), n, 0) + sets


def main(argv: list[str]) -> None:
    source, destination, packets_text, seconds_text = argv
    host, _, port = destination.rpartition(":")
    deadline, sent = time.monotonic() + float(seconds_text), 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        packets, gap = int(packets_text), float(seconds_text) / int(packets_text)
        start = time.monotonic()
        while sent < packets and time.monotonic() < deadline + 1:
            sock.sendto(flood_packet(sent), (host, int(port)))
            sent += 1
            time.sleep(max(0.0, start + sent * gap - time.monotonic()))
    print(sent, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Who answers ARP for each VIP (run inside an exporter namespace): every INTERVAL_MS it asks for each
VIP, as any exporter on the segment would before sending, and notes every MAC that answers, and every
gratuitous ARP a node sends for a VIP; bounded in rounds and time. Writes OUT as JSON:
{"rounds": [{"at_ns": …, "answers": {vip: [mac, …]}}, …], "gratuitous": [{"at_ns": …, "vip": …, "mac": …}, …]}.

Usage: python -m ha_udp_lb.lab.agents.arp_probe IFACE MY_ADDRESS DURATION_S INTERVAL_MS OUT VIP...
"""

from __future__ import annotations

import json
import select
import socket
import struct
import sys
import time
from pathlib import Path

ETH_P_ARP = 0x0806
ARP = struct.Struct("!HHBBH6s4s6s4s")
"""Ethernet/IPv4 ARP: htype, ptype, hlen, plen, op, sender MAC, sender IP, target MAC, target IP."""
REQUEST, REPLY = 1, 2
MAX_ROUNDS = 10_000


def main(argv: list[str]) -> None:
    interface, mine, duration, interval_ms, out = argv[0], argv[1], float(argv[2]), float(argv[3]), Path(argv[4])
    vips = argv[5:]
    rounds = int(duration * 1000 / interval_ms)
    if not 0 < rounds <= MAX_ROUNDS:
        sys.exit(f"arp_probe: {rounds} rounds is outside 1..{MAX_ROUNDS}")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((interface, ETH_P_ARP))
    my_mac = sock.getsockname()[4]
    my_ip = socket.inet_aton(mine)
    asked = {socket.inet_aton(vip): vip for vip in vips}
    log, gratuitous = [], []
    for number in range(rounds):
        at = time.monotonic_ns()
        for target in asked:
            arp = ARP.pack(1, 0x0800, 6, 4, REQUEST, my_mac, my_ip, b"\0" * 6, target)
            sock.send(b"\xff" * 6 + my_mac + struct.pack("!H", ETH_P_ARP) + arp)
        answers: dict[str, set[str]] = {vip: set() for vip in vips}
        until = at + int(interval_ms * 1e6)
        while (left := until - time.monotonic_ns()) > 0 and select.select([sock], [], [], left / 1e9)[0]:
            frame = sock.recv(128)
            _, _, _, _, op, sender_mac, sender_ip, _, target_ip = ARP.unpack_from(frame, 14)
            if op == REPLY and target_ip == my_ip and sender_ip in asked:
                answers[asked[sender_ip]].add(sender_mac.hex(":"))
            elif target_ip == sender_ip and sender_ip in asked:
                # A new master announcing itself: it corrects any cache that took a dead node's answer.
                gratuitous.append({"at_ns": time.monotonic_ns(), "vip": asked[sender_ip], "mac": sender_mac.hex(":")})
        log.append({"round": number, "at_ns": at, "answers": {vip: sorted(macs) for vip, macs in answers.items()}})
    out.write_text(json.dumps({"interval_ms": interval_ms, "rounds": log, "gratuitous": gratuitous}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

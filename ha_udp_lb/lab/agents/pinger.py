"""ICMP echo from inside a namespace (the machine has no ping): COUNT requests to ADDRESS 0.2 s apart,
then a second for late replies; prints how many were answered.

Usage: python -m ha_udp_lb.lab.agents.pinger ADDRESS COUNT
"""

from __future__ import annotations

import ipaddress
import select
import socket
import sys
import time

from ha_udp_lb.node_agent.probes import EchoReply, echo_request, parse

GAP_S, LINGER_S = 0.2, 1.0


def main(argv: list[str]) -> None:
    address, count = argv[0], int(argv[1])
    version = ipaddress.ip_address(address).version
    family, protocol = (
        (socket.AF_INET, socket.IPPROTO_ICMP) if version == 4 else (socket.AF_INET6, socket.IPPROTO_ICMPV6)
    )
    answered: set[int] = set()
    with socket.socket(family, socket.SOCK_RAW, protocol) as sock:
        deadline = time.monotonic() + count * GAP_S + LINGER_S
        for seq in range(count):
            sock.sendto(echo_request(version, seq), (address, 0))
            time.sleep(GAP_S)
        while (left := deadline - time.monotonic()) > 0:
            if sock in select.select([sock], [], [], left)[0]:
                packet, (source, *_rest) = sock.recvfrom(65535)
                message = parse(version, packet, source)
                if isinstance(message, EchoReply) and message.address == address:
                    answered.add(message.seq)
    print(len(answered))


if __name__ == "__main__":
    main(sys.argv[1:])

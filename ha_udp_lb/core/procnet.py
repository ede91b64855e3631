"""How the kernel spells a bound UDP socket's local address in /proc/net/udp and /proc/net/udp6."""

from __future__ import annotations

from .addresses import IPAddress


def proc_net_local_address(address: IPAddress, port: int) -> str:
    """`198.18.0.100:2055` → `640012C6:0807`: each 32-bit word of the address in host byte order
    (little-endian on every platform nginx and keepalived run on here), then the port in hex."""
    packed = address.packed
    words = [packed[i : i + 4][::-1] for i in range(0, len(packed), 4)]
    return "".join(word.hex().upper() for word in words) + f":{port:04X}"

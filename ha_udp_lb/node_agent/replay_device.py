"""Where the agent puts a replayed template packet: a TUN device, so that the packet enters the node as
if the exporter had just sent it — through the table's admission and rewrite (the kernel plane) or to
nginx's socket (the nginx plane) — and reaches the exporter's collector of the moment, from the
exporter's own address and port, by the very path its data takes. The device lives as long as the
agent holds it open."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import struct
from pathlib import Path

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI, IFF_UP = 0x0001, 0x1000, 0x1
SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914


class ReplayDevice:
    def __init__(self, name: str) -> None:
        self.name = name
        self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(self.fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        # Its packets come from exporters routed elsewhere: a strict reverse-path check would drop them.
        # (In a container /proc/sys is read-only: there the namespace's default, 0, stays.)
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/net/ipv4/conf/{name}/rp_filter").write_text("0\n")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
            request = struct.pack("16sH", name.encode(), 0)
            (flags,) = struct.unpack_from("H", fcntl.ioctl(control, SIOCGIFFLAGS, request), 16)
            fcntl.ioctl(control, SIOCSIFFLAGS, struct.pack("16sH", name.encode(), flags | IFF_UP))

    def send(self, source: str, source_port: int, destination: str, destination_port: int, payload: bytes) -> None:
        os.write(self.fd, udp_packet(source, source_port, destination, destination_port, payload))


def udp_packet(source: str, source_port: int, destination: str, destination_port: int, payload: bytes) -> bytes:
    """An IPv4 UDP packet with both checksums right (the kernel checks them on a TUN's input)."""
    src, dst = socket.inet_aton(source), socket.inet_aton(destination)
    length = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_UDP, length)
    udp = struct.pack("!HHHH", source_port, destination_port, length, 0) + payload
    udp = udp[:6] + struct.pack("!H", _checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, 0, 0x4000, 64, socket.IPPROTO_UDP, 0, src, dst)
    return header[:10] + struct.pack("!H", _checksum(header)) + header[12:] + udp


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

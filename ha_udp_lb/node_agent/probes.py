"""Probes on the wire: ICMP echo and a raw ICMP listener (which also sees every port unreachable
sent to this node, nginx's included), empty UDP datagrams to collector ports, TCP connects and HTTP
GETs. Everything here sends or receives; the verdicts are `judge`'s."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import socket
import struct
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

ECHO_ID = os.getpid() & 0xFFFF
V4_ECHO_REQUEST, V4_ECHO_REPLY, V4_UNREACHABLE, V4_PORT_UNREACHABLE = 8, 0, 3, 3
V6_ECHO_REQUEST, V6_ECHO_REPLY, V6_UNREACHABLE, V6_PORT_UNREACHABLE = 128, 129, 1, 4
UDP = 17


@dataclass(frozen=True)
class EchoReply:
    address: str
    seq: int


@dataclass(frozen=True)
class PortUnreachable:
    address: str
    port: int


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(version: int, seq: int) -> bytes:
    """An ICMP (or ICMPv6: the kernel fills its checksum) echo request carrying this agent's id."""
    kind = V4_ECHO_REQUEST if version == 4 else V6_ECHO_REQUEST
    body = struct.pack("!HH", ECHO_ID, seq) + b"ha-udp-lb health"
    header = struct.pack("!BBH", kind, 0, 0)
    if version == 6:
        return header + body
    return struct.pack("!BBH", kind, 0, checksum(header + body)) + body


def parse(version: int, packet: bytes, source: str) -> EchoReply | PortUnreachable | None:
    """What an ICMP message means to us; `packet` starts at the ICMP header (IPv4: after the IP header)."""
    if version == 4:
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, code = packet[0], packet[1]
    reply, unreachable, port_code = (
        (V4_ECHO_REPLY, V4_UNREACHABLE, V4_PORT_UNREACHABLE)
        if version == 4
        else (V6_ECHO_REPLY, V6_UNREACHABLE, V6_PORT_UNREACHABLE)
    )
    if kind == reply:
        ident, seq = struct.unpack_from("!HH", packet, 4)
        return EchoReply(source, seq) if ident == ECHO_ID else None
    if kind == unreachable and code == port_code:
        return _quoted_udp_destination(version, packet[8:])
    return None


def _quoted_udp_destination(version: int, quoted: bytes) -> PortUnreachable | None:
    """The destination of the datagram the ICMP error quotes: the collector's address and port."""
    if version == 4 and len(quoted) >= 20 and quoted[9] == UDP:
        header = (quoted[0] & 0x0F) * 4
        destination = str(ipaddress.IPv4Address(quoted[16:20]))
    elif version == 6 and len(quoted) >= 48 and quoted[6] == UDP:
        header = 40
        destination = str(ipaddress.IPv6Address(quoted[24:40]))
    else:
        return None
    if len(quoted) < header + 4:
        return None
    (port,) = struct.unpack_from("!H", quoted, header + 2)
    return PortUnreachable(destination, port)


class Wire:
    """The agent's sockets: one raw ICMP socket per family in use, one UDP socket per family."""

    def __init__(self, versions: set[int]) -> None:
        self.icmp: dict[int, socket.socket] = {}
        self.udp: dict[int, socket.socket] = {}
        for version in sorted(versions):
            family = socket.AF_INET if version == 4 else socket.AF_INET6
            proto = socket.IPPROTO_ICMP if version == 4 else socket.IPPROTO_ICMPV6
            self.icmp[version] = socket.socket(family, socket.SOCK_RAW, proto)
            self.icmp[version].setblocking(False)
            self.udp[version] = socket.socket(family, socket.SOCK_DGRAM)
            # Its port is held on every address: without SO_REUSEADDR, nginx's transparent bind of an
            # exporter that happens to send from the same port fails, and that exporter's flow
            # reaches no collector for as long as the agent runs (2 of 80 drill trials lost one so).
            self.udp[version].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.udp[version].setblocking(False)
        self._checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="check")
        self.checked, self._check_done = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        """Readable when a check has finished: the agent's loop wakes for it, not at its next timer."""

    def echo(self, address: str, seq: int) -> None:
        version = ipaddress.ip_address(address).version
        self._send(self.icmp[version], echo_request(version, seq), (address, 0))

    def poke(self, address: str, port: int) -> None:
        """An empty datagram: collectors discard it (nothing to decode); a closed port answers ICMP."""
        self._send(self.udp[ipaddress.ip_address(address).version], b"", (address, port))

    def receive(self, version: int) -> Iterator[EchoReply | PortUnreachable]:
        while True:
            try:
                packet, (source, *_rest) = self.icmp[version].recvfrom(65535)
            except BlockingIOError:
                return
            message = parse(version, packet, source)
            if message is not None:
                yield message

    def check(self, probe: str, address: str, port: int, path: str | None, timeout: float) -> Future[Outcome]:
        future = self._checks.submit(_tcp if probe == "tcp" else _http, address, port, path or "/", timeout)
        future.add_done_callback(self._wake)
        return future

    def _wake(self, _done: Future[Outcome]) -> None:
        with contextlib.suppress(BlockingIOError):  # full: the loop is awake already
            os.write(self._check_done, b"\0")

    def take_wakes(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self.checked, 4096)

    @staticmethod
    def _send(sock: socket.socket, data: bytes, target: tuple[str, int]) -> None:
        # A send error (no route, blackhole, a full buffer) is a probe that got no answer: a miss.
        with contextlib.suppress(OSError):
            sock.sendto(data, target)


Outcome = Literal["passed", "refused", "failed"]
"""A TCP/HTTP check's result. "refused": the host answered the connect with a reset, nothing listens
there (positive evidence, as a port unreachable is); "failed": a timeout or a bad answer."""


def _tcp(address: str, port: int, path: str, timeout: float) -> Outcome:
    try:
        socket.create_connection((address, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "failed"
    return "passed"


def _http(address: str, port: int, path: str, timeout: float) -> Outcome:
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request("GET", path)
        return "passed" if 200 <= connection.getresponse().status < 300 else "failed"
    except ConnectionRefusedError:
        return "refused"
    except (OSError, http.client.HTTPException):
        return "failed"
    finally:
        connection.close()

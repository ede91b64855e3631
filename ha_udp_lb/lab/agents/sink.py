"""A backend's UDP sink (run inside the backend's namespace): listens on the given ports, appends a
record of every probe it receives to RECORDS, keeps per-port datagram counts in COUNTERS (JSON), and
writes every other non-empty datagram's port, sender, length and SHA-256 as a JSON line to
RECORDS.others (what a collector would be handed: tests compare it with what the exporters sent).
Like goflow2, it answers HTTP on TCP HEALTH_PORT with 200 while it runs: a health endpoint for
`probe: tcp`/`http` checks, gone with the process.

Usage: python -m ha_udp_lb.lab.agents.sink RECORDS COUNTERS PORT...
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import cast

from .wire import RECEIVED, decode_probe

COUNTERS_EVERY_S = 0.2
HEALTH_PORT = 8080
HEALTHY = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


def main(argv: list[str]) -> None:
    records_path, counters_path, *ports = argv
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    selector = selectors.DefaultSelector()
    counts: dict[int, int] = {}
    for port in map(int, ports):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind(("0.0.0.0", port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, port)
        counts[port] = 0
    health = socket.create_server(("0.0.0.0", HEALTH_PORT), reuse_port=False)
    health.setblocking(False)
    selector.register(health, selectors.EVENT_READ, "health")
    write_counters(counters_path, counts)
    last_counters = time.monotonic()
    with Path(records_path).open("ab") as records, Path(records_path + ".others").open("a") as others:
        while True:
            for key, _ in selector.select(timeout=COUNTERS_EVERY_S):
                sock, port = cast(socket.socket, key.fileobj), key.data
                if port in ("health", "request"):
                    _answer_health(selector, sock, port)
                    continue
                while True:
                    try:
                        datagram, sender = sock.recvfrom(65535)
                    except BlockingIOError:
                        break
                    now = time.monotonic_ns()
                    counts[port] += 1
                    probe = decode_probe(datagram)
                    if probe is not None:
                        records.write(RECEIVED.pack(now, port, probe.exporter, probe.flow, probe.trial, probe.seq))
                    elif datagram:  # the health agent's probes are empty
                        others.write(json.dumps(_other(port, sender, datagram)) + "\n")
            records.flush()
            others.flush()
            if time.monotonic() - last_counters >= COUNTERS_EVERY_S:
                write_counters(counters_path, counts)
                last_counters = time.monotonic()


def _answer_health(selector: selectors.BaseSelector, sock: socket.socket, kind: str) -> None:
    """A connection accepted, then its request read (unread, closing would reset it) and answered."""
    if kind == "health":
        with contextlib.suppress(BlockingIOError):
            connection, _ = sock.accept()
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ, "request")
        return
    selector.unregister(sock)
    with contextlib.suppress(OSError):
        sock.recv(4096)
        sock.sendall(HEALTHY)
    sock.close()


def _other(port: int, sender: tuple[str, int], datagram: bytes) -> dict[str, object]:
    digest = hashlib.sha256(datagram).hexdigest()
    return {"port": port, "sender": f"{sender[0]}:{sender[1]}", "length": len(datagram), "sha256": digest}


def write_counters(path: str, counts: dict[int, int]) -> None:
    pending = Path(path + ".tmp")
    pending.write_text(json.dumps({str(port): n for port, n in counts.items()}))
    pending.replace(path)


if __name__ == "__main__":
    main(sys.argv[1:])

"""A simulated exporter (run inside its own namespace, so it has its own source address): sends
sequenced probes to every target at a fixed rate from START_NS for DURATION seconds, bounded in count,
and records the send time of each in SENT_LOG.

Usage: python -m lab.agents.exporter ID TRIAL RATE START_NS DURATION_S SENT_LOG HOST:PORT...
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from pathlib import Path

from .wire import SENT, Probe, encode_probe

MAX_PROBES_PER_TARGET = 100_000
"""Hard bound on any run, whatever the arguments: rate x duration beyond it is refused."""


def main(argv: list[str]) -> None:
    exporter, trial, rate = int(argv[0]), int(argv[1]), float(argv[2])
    start_ns, duration = int(argv[3]), float(argv[4])
    log_path, targets = argv[5], [parse_target(t) for t in argv[6:]]
    count = int(rate * duration)
    if not 0 < count <= MAX_PROBES_PER_TARGET:
        sys.exit(f"exporter: {count} probes per target is outside 1..{MAX_PROBES_PER_TARGET}")
    interval_ns = int(1e9 / rate)
    sockets = []
    for host, port in targets:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect((host, port))
        sockets.append(sock)
    log = bytearray()
    for seq in range(count):
        deadline = start_ns + seq * interval_ns
        delay = deadline - time.monotonic_ns()
        if delay > 0:
            time.sleep(delay / 1e9)
        for flow, sock in enumerate(sockets):
            now = time.monotonic_ns()
            # An ICMP error from an earlier probe surfaces here: this probe is lost, as on a wire.
            with contextlib.suppress(OSError):
                sock.send(encode_probe(Probe(exporter, flow, trial, seq, now)))
            log += SENT.pack(flow, seq, now)
    Path(log_path).write_bytes(log)


def parse_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


if __name__ == "__main__":
    main(sys.argv[1:])

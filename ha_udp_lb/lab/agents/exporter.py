"""Simulated exporters (run inside an exporter namespace, each from its own source address there):
send sequenced probes to every target at a fixed rate from START_NS for DURATION seconds, bounded in
count, and record the send time of each in SENT_DIR/<exporter>.bin.

Usage: python -m ha_udp_lb.lab.agents.exporter TRIAL RATE START_NS DURATION_S SENT_DIR
       HOST:PORT[,HOST:PORT...] ID=ADDRESS...
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
    trial, rate, start_ns, duration = int(argv[0]), float(argv[1]), int(argv[2]), float(argv[3])
    sent_dir, targets = Path(argv[4]), [parse_target(t) for t in argv[5].split(",")]
    exporters = [(int(index), address) for index, _, address in (item.partition("=") for item in argv[6:])]
    count = int(rate * duration)
    if not 0 < count <= MAX_PROBES_PER_TARGET:
        sys.exit(f"exporter: {count} probes per target is outside 1..{MAX_PROBES_PER_TARGET}")
    interval_ns = int(1e9 / rate)
    sockets = {index: [_socket(address, target) for target in targets] for index, address in exporters}
    logs = {index: bytearray() for index, _ in exporters}
    for seq in range(count):
        delay = start_ns + seq * interval_ns - time.monotonic_ns()
        if delay > 0:
            time.sleep(delay / 1e9)
        for index, flows in sockets.items():
            for flow, sock in enumerate(flows):
                now = time.monotonic_ns()
                # An ICMP error from an earlier probe surfaces here: this probe is lost, as on a wire.
                with contextlib.suppress(OSError):
                    sock.send(encode_probe(Probe(index, flow, trial, seq, now)))
                logs[index] += SENT.pack(flow, seq, now)
    for index, log in logs.items():
        (sent_dir / f"{index}.bin").write_bytes(log)


def _socket(address: str, target: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    sock.connect(target)
    return sock


def parse_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


if __name__ == "__main__":
    main(sys.argv[1:])

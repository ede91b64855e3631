"""A backend's UDP sink (run inside the backend's namespace): listens on the given ports, appends a
record of every probe it receives to RECORDS, and keeps per-port datagram counts in COUNTERS (JSON).

Usage: python -m lab.agents.sink RECORDS COUNTERS PORT...
"""

from __future__ import annotations

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
    write_counters(counters_path, counts)
    last_counters = time.monotonic()
    with Path(records_path).open("ab") as records:
        while True:
            for key, _ in selector.select(timeout=COUNTERS_EVERY_S):
                sock, port = cast(socket.socket, key.fileobj), key.data
                while True:
                    try:
                        datagram = sock.recv(65535)
                    except BlockingIOError:
                        break
                    now = time.monotonic_ns()
                    counts[port] += 1
                    probe = decode_probe(datagram)
                    if probe is not None:
                        records.write(RECEIVED.pack(now, port, probe.exporter, probe.flow, probe.trial, probe.seq))
            records.flush()
            if time.monotonic() - last_counters >= COUNTERS_EVERY_S:
                write_counters(counters_path, counts)
                last_counters = time.monotonic()


def write_counters(path: str, counts: dict[int, int]) -> None:
    pending = Path(path + ".tmp")
    pending.write_text(json.dumps({str(port): n for port, n in counts.items()}))
    pending.replace(path)


if __name__ == "__main__":
    main(sys.argv[1:])

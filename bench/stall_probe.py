"""Who stalls this machine: one real-time thread pinned to one CPU wakes every millisecond and prints, as a
JSON line, every wake that came late by more than a threshold, with how much of that time the hypervisor
took the CPU away (its `steal` in /proc/stat). A stall no real-time process escapes (a vCPU descheduled,
the kernel not preemptible) shows here; a soak's withdrawals can then be set against it.

Usage (root): venv/bin/python bench/stall_probe.py CPU SECONDS [THRESHOLD_MS [FREEZE_MS]]
Lines: {"cpu": 0, "at_ns": CLOCK_MONOTONIC of the late wake, "late_ms": 63.2, "steal_ms": 60}
FREEZE_MS: the first wake that late stops the kernel's trace (tracefs `tracing_on`), so a trace running
as a flight recorder keeps what every CPU did during the stall."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# /proc/stat counts in USER_HZ ticks (100 per second on Linux), whatever the kernel's HZ.
MS_PER_TICK = 1000 / os.sysconf("SC_CLK_TCK")
TRACING_ON = Path("/sys/kernel/tracing/tracing_on")


def steal_ticks(stat: int, cpu: int) -> int:
    os.lseek(stat, 0, os.SEEK_SET)
    for line in os.read(stat, 65536).decode().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            return int(fields[8])
    raise LookupError(f"cpu{cpu} not in /proc/stat")


def main() -> None:
    cpu, seconds = int(sys.argv[1]), float(sys.argv[2])
    threshold_ns = int(float(sys.argv[3] if len(sys.argv) > 3 else 10) * 1e6)
    freeze_ns = int(float(sys.argv[4]) * 1e6) if len(sys.argv) > 4 else None
    os.sched_setaffinity(0, {cpu})
    # Above the nodes' and the router's bfdd (SCHED_RR 50): if this is late, they were too.
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(90))
    stat = os.open("/proc/stat", os.O_RDONLY)
    end = time.monotonic_ns() + int(seconds * 1e9)
    before, steal_before = time.monotonic_ns(), steal_ticks(stat, cpu)
    while before < end:
        time.sleep(0.001)
        now, steal_now = time.monotonic_ns(), steal_ticks(stat, cpu)
        if freeze_ns is not None and now - before - 1_000_000 > freeze_ns:
            TRACING_ON.write_text("0")
            freeze_ns = None
        if now - before - 1_000_000 > threshold_ns:
            late = {
                "cpu": cpu,
                "at_ns": before,
                "late_ms": round((now - before) / 1e6 - 1, 1),
                "steal_ms": round((steal_now - steal_before) * MS_PER_TICK),
            }
            print(json.dumps(late), flush=True)
        before, steal_before = now, steal_now


if __name__ == "__main__":
    main()

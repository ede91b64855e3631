"""The kernel's trace as a flight recorder: every CPU's scheduling, interrupts and softirqs kept in a ring
buffer that overwrites itself until a stall probe (bench/stall_probe.py, FREEZE_MS) turns it off, so what
remains is what each CPU did up to and through the stall. A VM paused by its host shows as a gap with no
event at all, timer interrupts included, on every CPU; a task the guest kernel would not preempt shows
as that task running through the gap while the ticks go on.

bench/bgp.py soak … FREEZE_MS records one; `venv/bin/python bench/flight_recorder.py TRACE` prints each
CPU's silences over 5 ms in its last half second."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

TRACING = Path("/sys/kernel/tracing")
EVENTS = [
    "sched/sched_switch",
    "sched/sched_wakeup",
    "sched/sched_migrate_task",
    "irq/irq_handler_entry",
    "irq/softirq_entry",
    "irq/softirq_exit",
    "irq_vectors/local_timer_entry",
    "irq_vectors/call_function_entry",
    "irq_vectors/call_function_single_entry",
    "irq_vectors/reschedule_entry",
]
BUFFER_KB_PER_CPU = 16384


@contextlib.contextmanager
def flight_recorder(out: Path) -> Iterator[None]:
    """Record while inside; on leaving, write what the buffer holds to `out` and switch everything off."""
    if not (TRACING / "tracing_on").exists():
        subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACING)], check=True)
    (TRACING / "tracing_on").write_text("0")
    size_before = (TRACING / "buffer_size_kb").read_text().split()[0]
    (TRACING / "trace").write_text("")
    (TRACING / "buffer_size_kb").write_text(str(BUFFER_KB_PER_CPU))
    clock_before = re.sub(r".*\[(\S+)\].*", r"\1", (TRACING / "trace_clock").read_text().strip())
    # The probes' clock (CLOCK_MONOTONIC), so a late wake's time finds its place in the trace.
    (TRACING / "trace_clock").write_text("mono")
    for event in EVENTS:
        (TRACING / "events" / event / "enable").write_text("1")
    (TRACING / "tracing_on").write_text("1")
    try:
        yield
    finally:
        (TRACING / "tracing_on").write_text("0")
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w") as sink, (TRACING / "trace").open() as trace:
            for line in trace:
                sink.write(line)
        for event in EVENTS:
            (TRACING / "events" / event / "enable").write_text("0")
        (TRACING / "trace").write_text("")
        (TRACING / "buffer_size_kb").write_text(size_before)
        (TRACING / "trace_clock").write_text(clock_before)


LINE = re.compile(
    r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+(?P<at>\d+\.\d+): (?P<event>\w+): (?P<info>.*)$"
)


def gaps(trace: Path, last_s: float = 0.5, over_ms: float = 5.0) -> list[str]:
    """Each CPU's silences longer than `over_ms` in the trace's last `last_s`: when, how long, the event
    before and the one after (what that CPU was doing)."""
    events = [m for line in trace.read_text().splitlines() if (m := LINE.match(line))]
    if not events:
        return []
    end = max(float(m["at"]) for m in events)
    before: dict[str, re.Match[str]] = {}
    found = []
    for event in events:
        at, cpu = float(event["at"]), event["cpu"]
        previous = before.get(cpu)
        if previous is not None and at > end - last_s and (at - float(previous["at"])) * 1000 > over_ms:
            found.append(
                f"cpu {cpu}: silent {(at - float(previous['at'])) * 1000:.1f} ms from {previous['at']} "
                f"(ends {(end - at) * 1000:.1f} ms before the trace) | before: {previous['task']}-{previous['pid']} "
                f"{previous['event']} {previous['info'][:90]} | after: {event['task']}-{event['pid']} {event['event']} "
                f"{event['info'][:90]}"
            )
        before[cpu] = event
    return found


if __name__ == "__main__":
    for gap in gaps(Path(sys.argv[1])):
        print(gap)

"""The template gap across a deploy that moves exporters: one collector's weight raised in the stack
and rolled out as `pulumi up` would (scenarios.roll_out: backup first, the master last) while NetFlow
v9/IPFIX exporters send only data (templates once, as in template_gap). The new table moves some
exporters to that collector the moment `apply` loads it on the master; the agent, restarted by the same
`apply`, replays their templates from the cache it saved. Per moved exporter: the records it sent after
its last one at the old collector that no collector decoded, and over how long."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..agents.flow_exporter import RECORDS_PER_PACKET
from ..host.control import node_sh
from ..host.state import LabState, NodeState, lab_config
from .scenarios import roll_out
from .template_gap import NEVER, decoded_records, start_exporter

WEIGHT = 3
"""The pool's first collector's weight after the change (from 1): a third of the others' exporters move."""


@dataclass
class Moved:
    exporter: int
    moved_after_s: float
    """From the roll-out's start to the send time of its first record after its last at the old collector."""
    lost: int
    """Records sent from then on that no collector decoded."""
    lost_ms: float
    """The send-time span of those (first to last, plus one packet)."""


def drill(state: LabState, kind: str, packets: int = 300, rate: float = 50.0, push_after_s: float = 1.5) -> list[Moved]:
    pool = next(p for p in state.pools if p.name == "netflow")
    senders = [start_exporter(pool, e.index, e.netns, e.address, (packets, NEVER), rate) for e in state.exporters]
    starts = [float(sender.stdout.readline().split()[1]) for sender in senders]  # type: ignore[union-attr]
    raw = lab_config(state.stack, state.overrides)
    netflow = next(p for p in raw["pools"] if p["name"] == "netflow")
    netflow["backends"] = [{"endpoint": netflow["backends"][0], "weight": WEIGHT}, *netflow["backends"][1:]]
    time.sleep(max(0.0, min(starts) + push_after_s - time.time()))
    pushed_at = time.time()
    roll_out(state, raw, _run)
    for sender in senders:
        assert sender.wait(timeout=60) == 0, f"exporter {sender.args!r} failed"
    time.sleep(2.5)  # nfacctd writes out every second
    decoded = decoded_records(state, pool, kind, include_lost=True)
    moved = []
    for n, exporter in enumerate(state.exporters):
        by_collector: dict[str, set[int]] = {}
        for collector, flow in decoded.get(exporter.address, []):
            by_collector.setdefault(collector, set()).add(flow.dport)
        if not by_collector:
            continue
        old = min(by_collector.values(), key=min)
        got = set().union(*by_collector.values())
        after = max(old) + 1  # its first record sent after its last one at the old collector
        if after == packets * RECORDS_PER_PACKET:  # it never left
            continue
        lost = [i for i in range(after, packets * RECORDS_PER_PACKET) if i not in got]
        span = (lost[-1] - lost[0]) // RECORDS_PER_PACKET + 1 if lost else 0
        sent_at = starts[n] + after // RECORDS_PER_PACKET / rate
        moved.append(Moved(exporter.index, sent_at - pushed_at, len(lost), 1000 * span / rate))
    return moved


def _run(node: NodeState, commands: str) -> None:
    result = node_sh(node, commands, timeout=120)
    assert result.returncode == 0, f"{node.name}: {result.stdout[-500:]}{result.stderr[-500:]}"

"""The template gap, drilled with real collectors: NetFlow v9 and IPFIX exporters (three layouts under
one template ID) send their templates once and then only data, as routers do between refreshes of a
minute or more; a collector is killed mid-stream; the exporters it had move to the others. A moved
exporter's records are decoded at its new collector only if that collector has its template — from
the exporter's next refresh (minutes away here) or from the node's replay (node_agent.template_keeper).

For each exporter: whether it moved, what it sent after the failover window, what the collectors
decoded (each record checked against what that exporter sent), and when its new collector decoded its
first record."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

from ..agents.flow_exporter import RECORDS_PER_PACKET, Flow, records
from ..host.collectors import received_lines
from ..host.control import set_link, stop_backend
from ..host.state import LabState, PoolState
from .collectors import lost_collector
from .netflow import decoded_by_collector, stop_nfcapd

NEVER = 1 << 30
"""A refresh that never comes within the drill: the template goes out with the first packet only."""
SAMPLING = 100
"""What the IPFIX exporters announce (one packet in 100): a collector that has it scales their records."""


@dataclass
class Outcome:
    exporter: int
    version: int
    moved: bool
    sent_after: int
    """Records sent after the failover window (`window_s` from the kill: what is sent within it may be
    lost while the collector's death is noticed and acted on)."""
    decoded_after: int
    """Of those, the ones a collector decoded."""
    wrong: int
    """Records decoded to values this exporter never sent (another exporter's template)."""
    unscaled: int
    """Records sent after the window that were decoded without the exporter's sampling interval
    (packets and bytes 100× low)."""
    first_after_s: float | None
    """From the kill to the send time of its first record decoded after it (None: none was)."""


def drill(
    state: LabState,
    kind: str,
    window_s: float,
    packets: int = 200,
    rate: float = 50.0,
    kill_after_s: float = 1.5,
    failover_after_s: float | None = None,
) -> list[Outcome]:
    """Every exporter sends `packets` at `rate`; the pool's first collector dies `kill_after_s` in; with
    `failover_after_s`, the master's cable is pulled that far in first (the backup then holds the VIP)."""
    pool = next(p for p in state.pools if p.name == "netflow")
    master = state.node(next(v.preferred for v in state.vips if v.address.split("/")[0] == pool.vip))
    senders = [_start(state, pool, e.index, e.netns, e.address, packets, rate) for e in state.exporters]
    starts = [float(sender.stdout.readline().split()[1]) for sender in senders]  # type: ignore[union-attr]
    try:
        if failover_after_s is not None:
            time.sleep(max(0.0, min(starts) + failover_after_s - time.time()))
            set_link(master, up=False)
        time.sleep(max(0.0, min(starts) + kill_after_s - time.time()))
        killed_at = time.time()
        stop_backend(lost_collector(state))
        for sender in senders:
            assert sender.wait(timeout=60) == 0, f"exporter {sender.args!r} failed"
    finally:
        set_link(master, up=True)
    time.sleep(2.5)  # nfacctd writes out every second
    decoded = _decoded(state, pool, kind)
    return [
        _outcome(e.index, starts[n], killed_at + window_s, decoded.get(e.address, []), packets, rate, killed_at)
        for n, e in enumerate(state.exporters)
    ]


def version(exporter: int) -> int:
    return 9 if exporter % 2 == 0 else 10


def _start(
    state: LabState, pool: PoolState, index: int, netns: str, address: str, packets: int, rate: float
) -> subprocess.Popen[str]:
    argv = ["ha_udp_lb.lab.agents.flow_exporter", address, f"{pool.vip}:{pool.port}", str(version(index))]
    argv += [str(index), str(packets), str(NEVER), str(rate), str(SAMPLING if version(index) == 10 else 0)]
    return subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-m", *argv], stdout=subprocess.PIPE, text=True
    )


def _decoded(state: LabState, pool: PoolState, kind: str) -> dict[str, list[Flow]]:
    """Exporter address → every record the surviving collectors decoded from it."""
    found: dict[str, list[Flow]] = {}
    if kind == "nfcapd":
        for flows in decoded_by_collector(state, pool).values():
            for router, flow in flows:
                found.setdefault(router, []).append(flow)
        return found
    stop_nfcapd(state, pool)
    lost = lost_collector(state).address
    for address, port in pool.backends:
        if address == lost:  # what it wrote before it died says nothing of where exporters went after
            continue
        for row in received_lines(kind, state.backend(address), port):
            peer, src, dst, sport, dport, proto, packets, octets = row.split(",")
            number = int(proto) if proto.isdigit() else {"udp": 17}.get(proto.lower(), -1)
            flow = Flow(src, dst, int(sport), int(dport), number, int(packets), int(octets))
            found.setdefault(peer, []).append(flow)
    return found


def _outcome(
    exporter: int, start: float, window_end: float, flows: list[Flow], packets: int, rate: float, killed_at: float
) -> Outcome:
    scale = SAMPLING if version(exporter) == 10 else 1
    sent = records(exporter, packets * RECORDS_PER_PACKET)
    meant = [f._replace(packets=f.packets * scale, octets=f.octets * scale) for f in sent]

    def sent_at(index: int) -> float:
        return start + (index // RECORDS_PER_PACKET) / rate

    right = {f.dport for f in flows if f.dport < len(sent) and meant[f.dport] == f}
    # Before the sampling interval reaches the first collector (the exporter's second packet), its
    # records are rightly unscaled: only those after the window count.
    unscaled = [f for f in flows if scale > 1 and f.dport < len(sent) and sent[f.dport] == f]
    late = [f for f in unscaled if sent_at(f.dport) >= window_end]
    after = [i for i in range(len(sent)) if sent_at(i) >= window_end]
    before = [i for i in right | {f.dport for f in unscaled} if sent_at(i) < killed_at]
    firsts = [sent_at(i) - killed_at for i in right if sent_at(i) >= killed_at]
    return Outcome(
        exporter=exporter,
        version=version(exporter),
        moved=not before,
        sent_after=len(after),
        decoded_after=len(right & set(after)),
        wrong=len(flows) - len([f for f in flows if f.dport < len(sent) and meant[f.dport] == f]) - len(unscaled),
        unscaled=len(late),
        first_after_s=min(firsts, default=None),
    )

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
from ..host.control import health_view, set_link, start_backend, stop_backend
from ..host.state import LabState, NodeState, PoolState
from .collectors import lost_collector, wait_for
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
    """Records sent after the kill outside the failover windows (`window_s` from the kill, and from the
    collector's return: what is sent within one may be lost while the change is noticed and acted on)."""
    decoded_after: int
    """Of those, the ones a collector decoded."""
    wrong: int
    """Records decoded to values this exporter never sent (another exporter's template)."""
    unscaled: int
    """Of `sent_after`, the records decoded without the exporter's sampling interval (packets and bytes
    100× low)."""
    first_after_s: float | None
    """From the kill to the send time of its first record decoded after it (None: none was)."""
    back_home: int = 0
    """Records decoded at the killed collector after its return (with `revive_after_s`)."""


def drill(
    state: LabState,
    kind: str,
    window_s: float,
    packets: int = 200,
    rate: float = 50.0,
    kill_after_s: float = 1.5,
    failover_after_s: float | None = None,
    revive_after_s: float | None = None,
    template_every: int = NEVER,
) -> list[Outcome]:
    """Every exporter sends `packets` at `rate`; the pool's first collector dies `kill_after_s` in. With
    `failover_after_s`, the master's cable is pulled that far in first (the backup then holds the VIP);
    with `revive_after_s`, the collector starts again then, empty, and takes its exporters back once
    every node's agent has held it healthy for the hold-down. `template_every`: packets between the
    exporters' own template refreshes (never, by default)."""
    pool = next(p for p in state.pools if p.name == "netflow")
    master = state.node(next(v.preferred for v in state.vips if v.address.split("/")[0] == pool.vip))
    lost = lost_collector(state)
    senders = [
        start_exporter(pool, e.index, e.netns, e.address, (packets, template_every), rate) for e in state.exporters
    ]
    starts = [float(sender.stdout.readline().split()[1]) for sender in senders]  # type: ignore[union-attr]
    windows: list[tuple[float, float]] = []
    try:
        if failover_after_s is not None:
            time.sleep(max(0.0, min(starts) + failover_after_s - time.time()))
            set_link(master, up=False)
        time.sleep(max(0.0, min(starts) + kill_after_s - time.time()))
        killed_at = time.time()
        stop_backend(lost)
        windows.append((killed_at, killed_at + window_s))
        if revive_after_s is not None:
            time.sleep(max(0.0, min(starts) + revive_after_s - time.time()))
            start_backend(lost)
            wait_for(state, lost.address, up=True)
            back_at = _returned_at(master, f"{lost.address}:{pool.backends[0][1]}")
            windows.append((back_at, back_at + window_s))
        for sender in senders:
            assert sender.wait(timeout=60) == 0, f"exporter {sender.args!r} failed"
    finally:
        set_link(master, up=True)
    time.sleep(2.5)  # nfacctd writes out every second
    decoded = decoded_records(state, pool, kind, include_lost=revive_after_s is not None)
    return [
        _outcome(e.index, starts[n], windows, decoded.get(e.address, []), packets, rate, lost.address)
        for n, e in enumerate(state.exporters)
    ]


def _returned_at(node: NodeState, endpoint: str) -> float:
    """When `node`'s agent judged the netflow pool's `endpoint` up again (its transition, in its clock:
    the lab's namespaces share the host's monotonic clock), as wall-clock time."""
    transitions = health_view(node)["transitions"]
    ups = [int(t["at_ns"]) for t in transitions if t["pool"] == "netflow" and t["backend"] == endpoint and t["up"]]
    return time.time() - (time.monotonic_ns() - max(ups)) / 1e9


def version(exporter: int) -> int:
    return 9 if exporter % 2 == 0 else 10


def start_exporter(
    pool: PoolState, index: int, netns: str, address: str, count: tuple[int, int], rate: float
) -> subprocess.Popen[str]:
    """One exporter: `count` is (packets, packets between its template refreshes)."""
    argv = ["ha_udp_lb.lab.agents.flow_exporter", address, f"{pool.vip}:{pool.port}", str(version(index))]
    argv += [str(index), *map(str, count), str(rate), str(SAMPLING if version(index) == 10 else 0)]
    return subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-m", *argv], stdout=subprocess.PIPE, text=True
    )


def decoded_records(
    state: LabState, pool: PoolState, kind: str, include_lost: bool
) -> dict[str, list[tuple[str, Flow]]]:
    """Exporter address → (collector, record) for every record the collectors decoded from it; the lost
    collector's only when it came back (what it wrote before it died is gone with nfcapd, or kept by
    nfacctd, and says nothing of where exporters went after)."""
    found: dict[str, list[tuple[str, Flow]]] = {}
    lost = lost_collector(state).address
    if kind == "nfcapd":
        for collector, flows in decoded_by_collector(state, pool).items():
            for router, flow in flows:
                if collector != lost or include_lost:
                    found.setdefault(router, []).append((collector, flow))
        return found
    stop_nfcapd(state, pool)
    for address, port in pool.backends:
        for row in received_lines(kind, state.backend(address), port):
            peer, src, dst, sport, dport, proto, packets, octets = row.split(",")
            number = int(proto) if proto.isdigit() else {"udp": 17}.get(proto.lower(), -1)
            flow = Flow(src, dst, int(sport), int(dport), number, int(packets), int(octets))
            found.setdefault(peer, []).append((address, flow))
    return found


def _outcome(
    exporter: int,
    start: float,
    windows: list[tuple[float, float]],
    decoded: list[tuple[str, Flow]],
    packets: int,
    rate: float,
    lost: str,
) -> Outcome:
    scale = SAMPLING if version(exporter) == 10 else 1
    sent = records(exporter, packets * RECORDS_PER_PACKET)
    meant = [f._replace(packets=f.packets * scale, octets=f.octets * scale) for f in sent]
    killed_at = windows[0][0]

    def sent_at(index: int) -> float:
        return start + (index // RECORDS_PER_PACKET) / rate

    def known(flow: Flow) -> bool:
        return flow.dport < len(sent)

    flows = [flow for _, flow in decoded]
    right = {f.dport for f in flows if known(f) and meant[f.dport] == f}
    # Before the sampling interval reaches the first collector (the exporter's second packet), its
    # records are rightly unscaled: only those after the kill count.
    unscaled = [f for f in flows if scale > 1 and known(f) and sent[f.dport] == f]
    after = [
        i for i in range(len(sent)) if sent_at(i) >= killed_at and not any(a <= sent_at(i) < b for a, b in windows)
    ]
    before = [f for c, f in decoded if c != lost and known(f) and sent_at(f.dport) < killed_at]
    firsts = [sent_at(i) - killed_at for i in right if sent_at(i) >= killed_at]
    return Outcome(
        exporter=exporter,
        version=version(exporter),
        moved=not before,
        sent_after=len(after),
        decoded_after=len(right & set(after)),
        wrong=len(flows) - len([f for f in flows if known(f) and meant[f.dport] == f]) - len(unscaled),
        unscaled=len([f for f in unscaled if f.dport in set(after)]),
        first_after_s=min(firsts, default=None),
        back_home=len([f for c, f in decoded if c == lost and known(f) and sent_at(f.dport) >= windows[-1][1]]),
    )

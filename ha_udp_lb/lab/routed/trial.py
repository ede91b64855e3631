"""One routed drill trial: every exporter sends through the router while the scenario happens to its
victim; then who lost what, and whether any exporter reached a second collector."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..agents.wire import read_received, read_sent
from ..drill.analysis import Delivery, FlowResult, analyse
from ..drill.scenario import Context
from ..drill.trial import IN_FLIGHT_S, LEAD_IN_S, Settings, probed, read_from, size, start_exporters
from ..host.state import LabState
from .fib_watch import FibWatch
from .scenarios import RoutedScenario
from .site import exporter_nodes, wait_announced


@dataclass
class RoutedReport:
    scenario: str
    trial: int
    victim: str
    spread: dict[str, int]
    """Node → exporters ECMP sent it before the event."""
    affected: int
    """Exporters ECMP had on the victim (node-added: those it takes)."""
    affected_lost: int
    affected_blackout_ms: float
    """The longest run of lost probes of any affected exporter, as time."""
    others_lost: int
    changed_collector: list[str]
    lost_whole: list[str]
    withdrawn_ms: float | None
    """From the event until the router stopped sending to the victim."""
    joined_ms: float | None
    events: list[tuple[float, str]] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"passed": self.passed}


def run_trial(
    state: LabState, scenario: RoutedScenario, trial: int, settings: Settings, sent_dir: Path
) -> RoutedReport:
    assert state.router is not None
    settings = replace(settings, duration_s=scenario.duration_s)
    everyone = [n.address for n in state.nodes]
    wait_announced(state, everyone)
    ctx = Context(state=state, victim=state.node(scenario.victim))
    scenario.prepare(ctx)
    before = exporter_nodes(state)
    offsets = {b.address: size(b.data / "received.bin") for b in state.backends}
    sent_dir.mkdir(parents=True, exist_ok=True)
    start_ns = time.monotonic_ns() + int(LEAD_IN_S * 1e9)
    pools = probed(state)
    with FibWatch(state.router, state.vips[0].address) as fib:
        exporters = start_exporters(state.exporters, pools, trial, settings, start_ns, sent_dir)
        try:
            time.sleep(max(0.0, (start_ns + settings.event_at_s * 1e9 - time.monotonic_ns()) / 1e9))
            scenario.act(ctx)
            for process in exporters:
                process.wait(timeout=settings.duration_s + 60)
            time.sleep(IN_FLIGHT_S)
            after = exporter_nodes(state)
        finally:
            for process in exporters:
                process.kill()
            scenario.restore(ctx)  # the next trial needs the victim back, however this one ended
    event_ns = ctx.events[0][0]

    sent = [(e.index, r) for e in state.exporters for r in read_sent((sent_dir / f"{e.index}.bin").read_bytes())]
    delivered = [
        Delivery(b.address, record)
        for b in state.backends
        for record in read_received(read_from(b.data / "received.bin", offsets[b.address]))
        if record.trial == trial
    ]
    traffic = analyse(sent, delivered, [p.name for p in pools], settings.rate)
    mine = before if not scenario.joins else after
    victims = {i for i, node in mine.items() if node == ctx.victim.address}
    affected = [f for f in traffic.flows if f.exporter in victims]
    others = [f for f in traffic.flows if f.exporter not in victims]
    report = RoutedReport(
        scenario=scenario.name,
        trial=trial,
        victim=ctx.victim.name,
        spread={n.name: sum(1 for a in before.values() if a == n.address) for n in state.nodes},
        affected=len(affected),
        affected_lost=sum(f.lost for f in affected),
        affected_blackout_ms=max((f.longest_loss_ms for f in affected), default=0.0),
        others_lost=sum(f.lost for f in others),
        changed_collector=[f"exporter {f.exporter} → {f.collectors}" for f in traffic.flows if len(f.collectors) > 1],
        lost_whole=[f"exporter {f.exporter}" for f in traffic.flows if f.sent and f.lost == f.sent],
        withdrawn_ms=fib.left_ms(ctx.victim.address, event_ns),
        joined_ms=fib.joined_ms(ctx.victim.address, event_ns) if scenario.joins else None,
        events=[(round((ns - start_ns) / 1e6, 1), label) for ns, label in ctx.events],
    )
    report.checks = _judge(scenario, report, affected, traffic.sent)
    return report


def _judge(scenario: RoutedScenario, report: RoutedReport, affected: list[FlowResult], sent: int) -> dict[str, bool]:
    checks = {
        "probes sent": sent > 0,
        "no exporter changed collector": not report.changed_collector,
        "no exporter's flow lost whole": not report.lost_whole,
        "exporters on the other nodes lost nothing": report.others_lost == 0,
        "the victim carried exporters": bool(affected),
    }
    if scenario.withdrawn:
        checks["the router stopped sending to the victim"] = report.withdrawn_ms is not None
    if scenario.joins:
        checks["the router sends to the victim again"] = report.joined_ms is not None
    if scenario.zero_loss:
        checks["nothing lost"] = report.affected_lost == 0
    return checks

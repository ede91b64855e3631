"""One drill trial: exporters send sequenced probes to every pool while the scenario happens to the
victim (the master of the first VIP); then the traffic is analysed and the scenario's promises judged."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ha_udp_lb.core.project import REPO

from ..agents.wire import Sent, read_received, read_sent
from ..host.control import daemons, health_view, holders
from ..host.site import wait_settled
from ..host.state import ExporterState, LabState, PoolState
from . import error_log
from .analysis import Delivery, Flow, FlowResult, TrialTraffic, analyse, lost_since, lost_whole, per_bucket, rehomed
from .report import Event, TrialReport
from .scenario import Context, Scenario
from .timeline import BUCKET_MS

LEAD_IN_S = 0.3
"""Between launching the exporters and their first probe: every one of them is up and waiting."""
IN_FLIGHT_S = 0.3
"""After the last probe: what is still queued in a daemon reaches its collector."""


@dataclass(frozen=True)
class Settings:
    rate: float = 200.0
    """Probes per second per exporter per pool."""
    duration_s: float = 4.0
    event_at_s: float = 1.0


@dataclass(frozen=True)
class Picture:
    """What the timeline of a trial draws (lab.drill.timeline.draw's arguments)."""

    buckets: dict[str, dict[int, int]]
    events: list[tuple[float, str]]
    blackout_ms: tuple[float, float] | None
    span_ms: float


def run_trial(
    state: LabState, scenario: Scenario, trial: int, settings: Settings, sent_dir: Path
) -> tuple[TrialReport, Picture]:
    wait_settled(state)
    settings = replace(settings, duration_s=scenario.duration_s or settings.duration_s)
    ctx = Context(state=state, victim=state.node(state.vips[0].preferred))
    scenario.prepare(ctx)
    offsets, logged = {b.address: size(b.data / "received.bin") for b in state.backends}, error_log.sizes(state)
    sent_dir.mkdir(parents=True, exist_ok=True)
    start_ns = time.monotonic_ns() + int(LEAD_IN_S * 1e9)
    _play(state, scenario, ctx, trial, settings, start_ns, sent_dir)
    time.sleep(IN_FLIGHT_S)
    after = holders(state)
    healthy = {n.name: all(daemons(n).get(name, 0) > 0 for name in ("nginx", "keepalived")) for n in state.nodes}
    events = list(ctx.events)  # putting the lab back is not part of the trial
    nginx_said = error_log.since(state, logged)
    one_collector = scenario.collector in ("lost", "returns") and events
    verdicts = _verdicts(state, ctx, events[0][0]) if one_collector else {}
    scenario.restore(ctx)

    sent, delivered = _records(state, scenario, trial, sent_dir, offsets)
    pools = [p.name for p in probed(state, scenario)]
    traffic = analyse(sent, delivered, pools, settings.rate)
    moves = _moves(scenario, ctx, delivered, events[0][0]) if one_collector else {}
    flows = [replace(f, rehomed_ms=moves.get((f.exporter, f.flow))) for f in traffic.flows]
    own = _collector_checks(scenario, flows, set(moves)) | _loss_after_checks(scenario, events, sent, delivered)
    own |= scenario.judge_traffic(ctx, flows, delivered) if scenario.judge_traffic else {}

    def since_start(ns: int) -> float:
        return round((ns - start_ns) / 1e6, 1)

    report = TrialReport(
        trial=trial,
        blackout_ms=traffic.blackout_ms,
        blackout_flow=traffic.blackout_flow,
        lost=traffic.lost,
        sent=traffic.sent,
        duplicates=traffic.duplicates,
        holders_after=after,
        healthy_after=healthy,
        kept_collector_pct=round(100 * traffic.kept_collector_fraction, 1),
        moved=traffic.moved,
        events=[Event(since_start(ns), label) for ns, label in events],
        observations=ctx.observations,
        checks=judge(state, scenario, ctx, traffic, after, healthy) | own | ctx.checks,
        flows=flows,
        rehomed_ms=sorted(ms for ms in moves.values() if ms is not None),
        verdict_ms=verdicts,
        lost_whole=lost_whole(flows),
        nginx_errors=nginx_said,
        nodes_disagreed_ms=_disagreement(verdicts, len(state.nodes)),
    )
    window = traffic.blackout_window_ns
    picture = Picture(
        buckets=per_bucket(delivered, start_ns, BUCKET_MS),
        events=[(since_start(ns), label) for ns, label in events],
        blackout_ms=(since_start(window[0]), since_start(window[1]) + 1000 / settings.rate) if window else None,
        span_ms=(settings.duration_s + IN_FLIGHT_S) * 1000,
    )
    return report, picture


def _records(
    state: LabState, scenario: Scenario, trial: int, sent_dir: Path, offsets: dict[str, int]
) -> tuple[list[tuple[int, Sent]], list[Delivery]]:
    """What the exporters sent in this trial, and what the collectors got of it."""
    sent = [
        (exporter.index, record)
        for exporter in senders(state, scenario)
        for record in read_sent((sent_dir / f"{exporter.index}.bin").read_bytes())
    ]
    delivered = [
        Delivery(backend.address, record)
        for backend in state.backends
        if backend.ports
        for record in read_received(read_from(backend.data / "received.bin", offsets[backend.address]))
        if record.trial == trial
    ]
    return sent, delivered


def _play(
    state: LabState, scenario: Scenario, ctx: Context, trial: int, settings: Settings, start_ns: int, sent_dir: Path
) -> None:
    """The exporters send from `start_ns` for the trial's duration; the scenario acts at its moment."""
    exporters = start_exporters(senders(state, scenario), probed(state, scenario), trial, settings, start_ns, sent_dir)
    try:
        time.sleep(max(0.0, (start_ns + settings.event_at_s * 1e9 - time.monotonic_ns()) / 1e9))
        scenario.act(ctx)
        for process in exporters:
            process.wait(timeout=settings.duration_s + 60)
    finally:
        for process in exporters:
            process.kill()


def judge(
    state: LabState,
    scenario: Scenario,
    ctx: Context,
    traffic: TrialTraffic,
    after: dict[str, list[str]],
    healthy: dict[str, bool],
) -> dict[str, bool]:
    """What the scenario promises, each with its verdict."""
    vip = state.vips[0].address
    checks = {
        "no exporter's flow lost whole": not lost_whole(traffic.flows),
        "every VIP on exactly one node": all(len(nodes) == 1 for nodes in after.values()),
        "every VIP holder healthy": all(healthy[n] for nodes in after.values() for n in nodes),
    }
    if scenario.vip_ends_on == "the victim":
        checks[f"{vip} on {ctx.victim.name}"] = after[vip] == [ctx.victim.name]
    elif scenario.vip_ends_on == "another node":
        checks[f"{vip} moved off {ctx.victim.name}"] = ctx.victim.name not in after[vip] and len(after[vip]) == 1
    if scenario.zero_loss:
        checks["no datagram lost"] = traffic.lost == 0
    if not scenario.collector:
        checks["every exporter kept its collector"] = traffic.flows_kept_collector == len(traffic.flows)
    if "holders_while_cut" in ctx.observations:
        cut = ctx.observations["holders_while_cut"]
        assert isinstance(cut, dict)
        checks["both nodes held the VIPs while VRRP was cut"] = all(
            len(nodes) == len(state.nodes) for nodes in cut.values()
        )
    return checks


def _loss_after_checks(
    scenario: Scenario, events: list[tuple[int, str]], sent: list[tuple[int, Sent]], delivered: list[Delivery]
) -> dict[str, bool]:
    if not scenario.zero_loss_from:
        return {}
    key = f"nothing lost from “{scenario.zero_loss_from}” on"
    since = [ns for ns, label in events if label.startswith(scenario.zero_loss_from)]
    return {key: bool(since) and lost_since(sent, delivered, since[0]) == 0}


MIN_ON_LOST_COLLECTOR = 32
"""Enough exporters on the lost collector that the ICMP rate limit (1/s) cannot be what saves them."""
COLLECTOR_EXPORTERS = 120
"""Exporters a lab runs for the collector scenarios: enough that MIN_ON_LOST_COLLECTOR share the lost one."""


def _collector_checks(scenario: Scenario, flows: list[FlowResult], moving: set[Flow]) -> dict[str, bool]:
    """The lost (or returning) collector's exporters all moved, and nobody else lost or moved anything."""
    if scenario.collector not in ("lost", "returns"):
        return {}
    mine = [f for f in flows if (f.exporter, f.flow) in moving]
    others = [f for f in flows if (f.exporter, f.flow) not in moving]
    verb = "returned" if scenario.collector == "returns" else "re-homed"
    return {
        f"at least {MIN_ON_LOST_COLLECTOR} exporters on the lost collector": len(mine) >= MIN_ON_LOST_COLLECTOR,
        f"every one of its exporters {verb}": all(f.rehomed_ms is not None for f in mine),
        "other collectors' exporters: none lost, none moved": all(
            f.lost == 0 and len(f.collectors) == 1 for f in others
        ),
    }


def _moves(scenario: Scenario, ctx: Context, delivered: list[Delivery], event_ns: int) -> dict[Flow, float | None]:
    lost = str(ctx.observations["lost_backend"])
    return rehomed(delivered, lost, event_ns, back=scenario.collector == "returns")


def _disagreement(verdicts: dict[str, float], nodes: int) -> float | None:
    """ms between the first and the last node's verdict, when every node gave one."""
    return round(max(verdicts.values()) - min(verdicts.values()), 1) if len(verdicts) == nodes else None


def _verdicts(state: LabState, ctx: Context, event_ns: int) -> dict[str, float]:
    """Per node, ms from the event to its agent's first verdict on the lost collector (nodes that
    never changed their mind are left out: in a partition only the cut-off node should)."""
    lost = str(ctx.observations["lost_backend"])
    verdicts = {}
    for node in state.nodes:
        changes = [
            int(t["at_ns"])
            for t in health_view(node).get("transitions", [])
            if str(t["backend"]).rpartition(":")[0] == lost and int(t["at_ns"]) >= event_ns
        ]
        if changes:
            verdicts[node.name] = round((min(changes) - event_ns) / 1e6, 1)
    return verdicts


def start_exporters(
    exporters: list[ExporterState],
    pools: list[PoolState],
    trial: int,
    settings: Settings,
    start_ns: int,
    sent_dir: Path,
) -> list[subprocess.Popen[bytes]]:
    """`exporters` send to every one of `pools` from `start_ns` for the settings' duration (one agent
    per exporter namespace), recording what they sent in `sent_dir`."""
    targets = ",".join(f"{pool.vip}:{pool.port}" for pool in pools)
    common = [str(trial), str(settings.rate), str(start_ns), str(settings.duration_s), str(sent_dir), targets]
    by_namespace: dict[str, list[str]] = {}
    for exporter in exporters:
        by_namespace.setdefault(exporter.netns, []).append(f"{exporter.index}={exporter.address}")
    return [
        subprocess.Popen(
            [*("ip", "netns", "exec", ns, sys.executable, "-m", "ha_udp_lb.lab.agents.exporter"), *common, *exporters],
            cwd=REPO,
        )
        for ns, exporters in by_namespace.items()
    ]


def senders(state: LabState, scenario: Scenario) -> list[ExporterState]:
    return state.exporters[: scenario.exporters] if scenario.exporters else state.exporters


def probed(state: LabState, scenario: Scenario | None = None) -> list[PoolState]:
    """The pools the drill sends probes to: those whose collectors record them."""
    pools = [pool for pool in state.pools if pool.collector == "sink"]
    return pools[:1] if scenario and scenario.first_pool_only else pools


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def read_from(path: Path, offset: int) -> bytes:
    with path.open("rb") as records:
        records.seek(offset)
        return records.read()

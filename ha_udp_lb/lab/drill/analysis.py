"""What one drill trial did to the traffic (pure: records in, verdict out).

Blackout is the longest run of consecutive lost probes in any one flow (exporter x pool), as time:
from the send time of the run's first probe to the last one's, plus one interval."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..agents.wire import Received, Sent

Flow = tuple[int, int]
"""(exporter, flow index = pool index)."""


@dataclass(frozen=True)
class Delivery:
    collector: str
    record: Received


@dataclass
class FlowResult:
    exporter: int
    pool: str
    sent: int
    lost: int
    longest_loss_ms: float
    collectors: list[str]
    duplicates: int
    rehomed_ms: float | None = None
    """Collector scenarios: from the event to this flow's first datagram at its new collector."""
    flow: int = 0
    """The pool's index among the probed pools (0 in reports written before it was recorded)."""


@dataclass
class TrialTraffic:
    sent: int
    lost: int
    blackout_ms: float
    blackout_flow: str | None
    blackout_window_ns: tuple[int, int] | None
    """Send times bounding the longest loss, for the timeline."""
    duplicates: int
    flows: list[FlowResult]
    flows_kept_collector: int
    moved: list[str] = field(default_factory=list)
    """Flows seen at more than one collector: "exporter N → pool" with the collectors in order."""

    @property
    def kept_collector_fraction(self) -> float:
        return self.flows_kept_collector / len(self.flows) if self.flows else 1.0


def analyse(
    sent: Iterable[tuple[int, Sent]], delivered: Iterable[Delivery], pools: list[str], rate: float
) -> TrialTraffic:
    """`sent`: (exporter, record) for every probe sent; `delivered`: every probe a collector got."""
    interval_ms = 1000 / rate
    send_times: dict[Flow, dict[int, int]] = defaultdict(dict)
    for exporter, record in sent:
        send_times[(exporter, record.flow)][record.seq] = record.sent_ns
    seen: dict[Flow, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    order: dict[Flow, list[str]] = defaultdict(list)
    for delivery in sorted(delivered, key=lambda d: d.record.received_ns):
        flow = (delivery.record.exporter, delivery.record.flow)
        seen[flow][delivery.record.seq] += 1
        if delivery.collector not in order[flow]:
            order[flow].append(delivery.collector)
    results, moved = [], []
    worst, worst_flow, worst_window = 0.0, None, None
    for flow in sorted(send_times):
        times = send_times[flow]
        got = seen.get(flow, {})
        lost_seqs = sorted(seq for seq in times if seq not in got)
        longest, window = _longest_run(lost_seqs, times, interval_ms)
        name = f"exporter {flow[0]} → {pools[flow[1]]}"
        if longest > worst:
            worst, worst_flow, worst_window = longest, name, window
        collectors = order.get(flow, [])
        if len(collectors) > 1:
            moved.append(f"{name}: {' → '.join(collectors)}")
        results.append(
            FlowResult(
                exporter=flow[0],
                flow=flow[1],
                pool=pools[flow[1]],
                sent=len(times),
                lost=len(lost_seqs),
                longest_loss_ms=round(longest, 1),
                collectors=collectors,
                duplicates=sum(n - 1 for n in got.values()),
            )
        )
    return TrialTraffic(
        sent=sum(r.sent for r in results),
        lost=sum(r.lost for r in results),
        blackout_ms=round(worst, 1),
        blackout_flow=worst_flow,
        blackout_window_ns=worst_window,
        duplicates=sum(r.duplicates for r in results),
        flows=results,
        flows_kept_collector=sum(1 for r in results if len(r.collectors) <= 1),
        moved=moved,
    )


def _longest_run(
    lost_seqs: list[int], times: dict[int, int], interval_ms: float
) -> tuple[float, tuple[int, int] | None]:
    """(ms, (first send ns, last send ns)) of the longest run of consecutive lost sequence numbers."""
    longest: tuple[float, tuple[int, int] | None] = (0.0, None)
    run_start = previous = -2
    for seq in lost_seqs:
        if seq != previous + 1:
            run_start = seq
        previous = seq
        length = (times[seq] - times[run_start]) / 1e6 + interval_ms
        if length > longest[0]:
            longest = (length, (times[run_start], times[seq]))
    return longest


def lost_whole(flows: Iterable[FlowResult]) -> list[str]:
    """The flows of which no probe reached any collector: an exporter whose data silently never
    arrives, the worst failure there is."""
    return [f"exporter {f.exporter} → {f.pool}" for f in flows if f.sent and f.lost == f.sent]


def lost_since(sent: Iterable[tuple[int, Sent]], delivered: Iterable[Delivery], since_ns: int) -> int:
    """Probes sent at or after `since_ns` that no collector got."""
    got = {(d.record.exporter, d.record.flow, d.record.seq) for d in delivered}
    return sum(1 for exporter, r in sent if r.sent_ns >= since_ns and (exporter, r.flow, r.seq) not in got)


def rehomed(delivered: Iterable[Delivery], collector: str, event_ns: int, back: bool) -> dict[Flow, float | None]:
    """Per flow, ms from `event_ns` to its first datagram at its new collector, or None if it never got
    there. `back` False: the flows `collector` had before the event, moving elsewhere; True: the flows
    moving to `collector` after the event (it came back)."""
    before: set[Flow] = set()
    first: dict[Flow, int] = {}
    for delivery in sorted(delivered, key=lambda d: d.record.received_ns):
        flow, at = (delivery.record.exporter, delivery.record.flow), delivery.record.received_ns
        if at < event_ns:
            if delivery.collector == collector:
                before.add(flow)
        elif (delivery.collector == collector) == back:
            first.setdefault(flow, at)
    flows = set(first) - before if back else before
    return {flow: (first[flow] - event_ns) / 1e6 if flow in first else None for flow in flows}


def per_bucket(delivered: Iterable[Delivery], origin_ns: int, bucket_ms: float = 10) -> dict[str, dict[int, int]]:
    """{collector: {bucket index: probes received}} for a timeline."""
    buckets: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for delivery in delivered:
        index = int((delivery.record.received_ns - origin_ns) / 1e6 // bucket_ms)
        buckets[delivery.collector][index] += 1
    return {collector: dict(counts) for collector, counts in buckets.items()}

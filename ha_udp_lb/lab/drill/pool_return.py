"""A whole pool coming back: every collector of the first pool killed and judged dead everywhere, then
started again one at a time. What must hold is the pool's panic threshold's promise: no collector is
handed much more than its share while the others are still away, and no exporter moves more than
once between live collectors."""

from __future__ import annotations

import time
from collections import defaultdict

from ..host.control import start_backend, stop_backend
from ..host.state import BackendState, LabState
from .analysis import Delivery, FlowResult
from .collectors import wait_for
from .scenario import Context, Scenario

GAP_S = 2.0
"""Between one collector's start and the next: each passes its hold-down at another moment."""
SHARE_LIMIT = 1.5
"""What panicBelow 0.5 allows a collector of a three-collector pool while one is still away."""
BUCKET_NS = 1_000_000_000


def _collectors(state: LabState) -> list[BackendState]:
    return [state.backend(address) for address in dict.fromkeys(a for a, _ in state.pools[0].backends)]


def _all_dead(ctx: Context) -> None:
    for backend in _collectors(ctx.state):
        stop_backend(backend)
    for backend in _collectors(ctx.state):
        wait_for(ctx.state, backend.address, up=False)


def _back_one_by_one(ctx: Context) -> None:
    for backend in _collectors(ctx.state):
        ctx.mark(f"collector {backend.address} back")
        start_backend(backend)
        time.sleep(GAP_S)


def _all_up(ctx: Context) -> None:
    for backend in _collectors(ctx.state):
        wait_for(ctx.state, backend.address, up=True)


def largest_share(delivered: list[Delivery], since_ns: int) -> float:
    """The most any collector received in one second from `since_ns` on, over what it receives once
    the whole pool is back (the last whole second): 1.0 is its own share."""
    buckets: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for delivery in delivered:
        if delivery.record.received_ns >= since_ns:
            buckets[delivery.collector][(delivery.record.received_ns - since_ns) // BUCKET_NS] += 1
    last = max((index for per in buckets.values() for index in per), default=0) - 1  # the last whole one
    ratios = [
        count / per[last] for per in buckets.values() if per.get(last) for index, count in per.items() if index < last
    ]
    return round(max(ratios, default=0.0), 2)


def moves(delivered: list[Delivery]) -> dict[tuple[int, int], int]:
    """Per exporter's flow, how often its datagrams went on arriving at another collector."""
    last: dict[tuple[int, int], str] = {}
    counted: dict[tuple[int, int], int] = defaultdict(int)
    for delivery in sorted(delivered, key=lambda d: d.record.received_ns):
        flow = (delivery.record.exporter, delivery.record.flow)
        if flow in last and last[flow] != delivery.collector:
            counted[flow] += 1
        last[flow] = delivery.collector
    return counted


def judge_return(ctx: Context, flows: list[FlowResult], delivered: list[Delivery]) -> dict[str, bool]:
    backs = [ns for ns, label in ctx.events if label.endswith(" back")]
    share = largest_share(delivered, backs[0]) if backs else 0.0
    moved = moves(delivered)
    ctx.observations["largest_share"] = share
    ctx.observations["exporters_moved"] = sum(1 for n in moved.values() if n)
    ctx.observations["exporters_moved_twice"] = sum(1 for n in moved.values() if n > 1)
    return {
        "every exporter moved at most once": all(n <= 1 for n in moved.values()),
        f"no collector above {SHARE_LIMIT} × its share": share <= SHARE_LIMIT,
    }


POOL_RETURN = Scenario(
    "pool-return",
    "every collector of the first pool dead, then back one at a time, 2 s apart",
    prepare=_all_dead,
    act=_back_one_by_one,
    restore=_all_up,
    vip_ends_on="the victim",
    exporters=None,
    first_pool_only=True,
    collector="pool",
    judge_traffic=judge_return,
    duration_s=12.0,
)

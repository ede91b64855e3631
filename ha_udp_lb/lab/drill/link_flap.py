"""A cable pulled and put back: the master's link cut until its health agent has judged every
collector dead (it can see none of them), then healed. It takes its VIP back after vrrp.preemptDelay,
with a view of the collectors that is all wrong, and they come back to it one by one as each passes
its hold-down.
What must hold: from the moment it holds the VIP again, every exporter lands where the other node
sent it and where it was before the cut; nothing moves while that view heals."""

from __future__ import annotations

import time
from collections import defaultdict

from ..host.control import holders, set_link
from .analysis import Delivery, FlowResult
from .collectors import wait_for
from .scenario import Context, Scenario, ScenarioError

WATCH_S = 10.0
"""After the VIP is back: past the collectors' 5 s hold-down on the returning node."""
BACK_TIMEOUT_S = 5.0
HEALED = "link healed"


def _collector_addresses(ctx: Context) -> list[str]:
    return list(dict.fromkeys(address for pool in ctx.state.pools for address, _ in pool.backends))


def _all_judged_up(ctx: Context) -> None:
    for address in _collector_addresses(ctx):
        wait_for(ctx.state, address, up=True)


def _flap(ctx: Context) -> None:
    ctx.mark(f"{ctx.victim.name} link cut")
    set_link(ctx.victim, up=False)
    for address in _collector_addresses(ctx):
        wait_for(ctx.state, address, up=False, nodes=[ctx.victim])
    ctx.mark(f"{ctx.victim.name} judges every collector dead")
    ctx.mark(HEALED)
    set_link(ctx.victim, up=True)
    vip = ctx.state.vips[0].address
    deadline = time.monotonic() + BACK_TIMEOUT_S
    while holders(ctx.state)[vip] != [ctx.victim.name]:
        if time.monotonic() > deadline:
            raise ScenarioError(f"{vip} not back on {ctx.victim.name} alone {BACK_TIMEOUT_S} s after the heal")
        time.sleep(0.005)
    ctx.mark(f"{vip} back on {ctx.victim.name}")


def moved_after(delivered: list[Delivery], cut_ns: int, back_ns: int) -> list[tuple[int, int]]:
    """The flows that, from `back_ns` on, reached a collector other than the one they had before `cut_ns`."""
    before: dict[tuple[int, int], set[str]] = defaultdict(set)
    after: dict[tuple[int, int], set[str]] = defaultdict(set)
    for delivery in delivered:
        flow, at = (delivery.record.exporter, delivery.record.flow), delivery.record.received_ns
        if at < cut_ns:
            before[flow].add(delivery.collector)
        elif at >= back_ns:
            after[flow].add(delivery.collector)
    return sorted(flow for flow, collectors in after.items() if collectors != before.get(flow))


def judge_flap(ctx: Context, flows: list[FlowResult], delivered: list[Delivery]) -> dict[str, bool]:
    def moment(words: str) -> int:
        return next(ns for ns, label in ctx.events if words in label)

    cut_ns, healed_ns, back_ns = moment("link cut"), moment(HEALED), moment(" back on ")
    last_ns = max((d.record.received_ns for d in delivered), default=0)
    moved = moved_after(delivered, cut_ns, back_ns)
    ctx.observations["vip_back_after_heal_ms"] = round((back_ns - healed_ns) / 1e6, 1)
    ctx.observations["exporters_moved_after_return"] = len(moved)
    return {
        f"watched {WATCH_S:g} s after the VIP came back": last_ns - back_ns >= WATCH_S * 1e9,
        "no exporter moved after the VIP came back": not moved,
    }


LINK_FLAP = Scenario(
    "link-flap",
    "the master's cable pulled until it judges every collector dead, then put back: it takes its VIP back",
    prepare=_all_judged_up,
    act=_flap,
    restore=_all_judged_up,
    vip_ends_on="the victim",
    judge_traffic=judge_flap,
    # Cut off, it could send nothing; healed, the node it comes back to was serving all along.
    zero_loss_from=HEALED,
    duration_s=WATCH_S + 6.0,
)

"""The collector failures a drill plays: the first pool's first collector killed, its host gone, its
path cut from the master alone, and its return. Every node's health agent must notice, and nginx move
exactly that collector's exporters, each to one other collector, and back after the hold-down."""

from __future__ import annotations

import time

from ..host.control import health_view, set_backend_link, set_route_to, start_backend, stop_backend
from ..host.state import BackendState, LabState, NodeState
from .scenario import Context, Scenario, ScenarioError

SETTLE_TIMEOUT_S = 30


def lost_collector(state: LabState) -> BackendState:
    return state.backend(state.pools[0].backends[0][0])


def verdicts(node: NodeState, address: str) -> list[bool]:
    """Whether `node`'s agent lets each pool send to `address` (one entry per pool that uses it)."""
    pools = health_view(node).get("pools", {})
    return [v["up"] for backends in pools.values() for b, v in backends.items() if b.rpartition(":")[0] == address]


def wait_for(state: LabState, address: str, up: bool, nodes: list[NodeState] | None = None) -> None:
    """Until every node (or `nodes`) judges the collector at `address` `up`, in every pool."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        seen = [verdicts(node, address) for node in nodes or state.nodes]
        if all(views and all(v == up for v in views) for views in seen):
            return
        time.sleep(0.05)
    raise ScenarioError(f"collector {address} not judged {'up' if up else 'down'} within {SETTLE_TIMEOUT_S} s")


def _all_judged_up(ctx: Context) -> None:
    """Before a collector is lost: every node judges every collector of the pool up (after a drill that
    cut a node off, its agent holds them down a while; losing one then would prove nothing)."""
    for address, _port in ctx.state.pools[0].backends:
        wait_for(ctx.state, address, up=True)


def _kill(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    ctx.observations["lost_backend"] = backend.address
    ctx.mark(f"collector {backend.address} killed")
    stop_backend(backend)


def _revive(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    start_backend(backend)
    wait_for(ctx.state, backend.address, up=True)


def _host_down(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    ctx.observations["lost_backend"] = backend.address
    ctx.mark(f"collector host {backend.address} gone")
    set_backend_link(backend, up=False)


def _host_back(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    set_backend_link(backend, up=True)
    wait_for(ctx.state, backend.address, up=True)


def _partition(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    ctx.observations["lost_backend"] = backend.address
    ctx.mark(f"{ctx.victim.name} lost its path to {backend.address}")
    set_route_to(ctx.victim, backend.address, cut=True)


def _heal(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    set_route_to(ctx.victim, backend.address, cut=False)
    wait_for(ctx.state, backend.address, up=True)


def _killed_and_judged(ctx: Context) -> None:
    """Before the measured part: the collector is dead and every node has moved its exporters."""
    backend = lost_collector(ctx.state)
    stop_backend(backend)
    wait_for(ctx.state, backend.address, up=False)
    ctx.observations["lost_backend"] = backend.address


def _return(ctx: Context) -> None:
    backend = lost_collector(ctx.state)
    ctx.mark(f"collector {backend.address} back")
    start_backend(backend)


COLLECTOR_SCENARIOS = (
    Scenario(
        "collector-kill",
        "the first pool's first collector killed (its host answers ICMP port unreachable)",
        prepare=_all_judged_up,
        act=_kill,
        restore=_revive,
        vip_ends_on="the victim",
        exporters=None,
        first_pool_only=True,
        collector="lost",
    ),
    Scenario(
        "collector-host-down",
        "the first pool's first collector's host gone (its link down: no ICMP at all)",
        prepare=_all_judged_up,
        act=_host_down,
        restore=_host_back,
        vip_ends_on="the victim",
        exporters=None,
        first_pool_only=True,
        collector="lost",
    ),
    Scenario(
        "collector-partition",
        "only the master loses its path to the first pool's first collector (the others still reach it)",
        prepare=_all_judged_up,
        act=_partition,
        restore=_heal,
        vip_ends_on="the victim",
        exporters=None,
        first_pool_only=True,
        collector="lost",
    ),
    Scenario(
        "collector-return",
        "the first pool's first collector, lost and judged dead everywhere, comes back",
        prepare=_killed_and_judged,
        act=_return,
        restore=lambda ctx: wait_for(ctx.state, lost_collector(ctx.state).address, up=True),
        zero_loss=True,
        vip_ends_on="the victim",
        exporters=None,
        first_pool_only=True,
        collector="returns",
        duration_s=8.0,
    ),
)

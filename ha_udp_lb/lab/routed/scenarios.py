"""What the routed drills do to a node (routing: bgp), each as it happens to a host, and how the lab is
put back. The victim is named: lb1 shares its subnet with lb3 (a switched link), lb2 is alone on its."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render import render_teardown

from ..drill.scenario import Context, ScenarioError
from ..drill.scenarios import activate
from ..host.control import node_sh, set_link
from ..host.state import LAB_DIR
from .site import wait_announced

SILENT = "hulb_silent"
"""A netdev table on the victim's interface dropping everything both ways: a machine that died."""
NO_BFD = "hulb_no_bfd"
FRR_DAEMONS = "watchfrr zebra bgpd bfdd staticd"


@dataclass(frozen=True)
class RoutedScenario:
    name: str
    summary: str
    victim: str
    act: Callable[[Context], None]
    restore: Callable[[Context], None]
    prepare: Callable[[Context], None] = lambda ctx: None
    withdrawn: bool = True
    """The router must stop sending to the victim during the trial."""
    joins: bool = False
    """The router must start sending to the victim during the trial (it was out before)."""
    zero_loss: bool = False
    """Planned: nothing may be lost, the victim's exporters included."""
    duration_s: float = 5.0
    """Seconds of traffic: long enough to see the router follow."""


def _drop_both_ways(table: str, iface: str, what: str) -> str:
    """An nftables netdev table on `iface` dropping `what` (a match, or "" for everything) in and out,
    ahead of everything else on the node."""
    chains = [
        f"nft add chain netdev {table} {way} '{{ type filter hook {hook} device {iface} priority -500; }}' && "
        f"nft add rule netdev {table} {way} {what} drop"
        for way, hook in (("in", "ingress"), ("out", "egress"))
    ]
    return f"nft add table netdev {table} && " + " && ".join(chains)


def _silent(ctx: Context) -> None:
    """Every daemon of the node killed, and nothing in or out of its interface: a dead machine."""
    ctx.sh(
        ctx.victim,
        f"{_drop_both_ways(SILENT, ctx.victim.interface, '')}; pkill -KILL -x '{FRR_DAEMONS.replace(' ', '|')}'; "
        f"kill -KILL $(cat {PATHS.health_pid})",
        f"{ctx.victim.name} dead (daemons killed, interface silent)",
    )


def _revive(ctx: Context) -> None:
    node_sh(ctx.victim, f"nft delete table netdev {SILENT}")
    node_sh(ctx.victim, f"rm -f /run/frr/*.pid; {activate(ctx.victim)} >/dev/null 2>&1")


def _cut(ctx: Context) -> None:
    ctx.mark(f"{ctx.victim.name} link cut")
    set_link(ctx.victim, up=False)


def _plane_lost(ctx: Context) -> None:
    """Forwarding off on the victim. The trial's clock starts as the node turns it off (its clock read
    just before), not as the lab starts the command: entering the node costs ~10 ms here."""
    said = node_sh(ctx.victim, "date +%s%N && sysctl -qw net.ipv4.ip_forward=0")
    if said.returncode != 0:
        raise ScenarioError(f"forwarding off on {ctx.victim.name} failed: {said.stderr.strip()}")
    off_ns = int(said.stdout.split()[0]) + time.monotonic_ns() - time.time_ns()
    ctx.events.append((off_ns, f"forwarding off on {ctx.victim.name}"))


def _drain(ctx: Context) -> None:
    ctx.sh(ctx.victim, f"touch {PATHS.drain_file}", f"{ctx.victim.name} drained ({PATHS.drain_file})")


def _frr_stopped(ctx: Context) -> None:
    """Before the trial: the victim is not a member (FRR stopped), the router sends it nothing."""
    node_sh(ctx.victim, "/usr/lib/frr/frrinit.sh stop >/dev/null 2>&1")
    others = [n.address for n in ctx.state.nodes if n is not ctx.victim]
    wait_announced(ctx.state, others, timeout=15)


def _frr_started(ctx: Context) -> None:
    ctx.sh(ctx.victim, "/usr/lib/frr/frrinit.sh start >/dev/null", f"FRR started on {ctx.victim.name}")


def _bfd_lost(ctx: Context) -> None:
    """BFD's control packets (UDP 3784) dropped both ways on the victim: BGP itself still works."""
    ctx.sh(
        ctx.victim,
        _drop_both_ways(NO_BFD, ctx.victim.interface, "udp dport 3784"),
        f"BFD to and from {ctx.victim.name} dropped",
    )


def _torn_down(ctx: Context) -> None:
    """What `pulumi destroy`, or dropping the node from the stack, runs on it (the staging step's delete)."""
    ctx.sh(ctx.victim, render_teardown(), f"{ctx.victim.name} torn down (its delete)")


def _redeployed(ctx: Context) -> None:
    """The node deployed again: its files uploaded (the teardown removed them) and its commands run."""
    upload = f"mkdir -p {PATHS.staging} && cp -a {LAB_DIR}/synth/nodes/{ctx.victim.name}/files/. {PATHS.staging}/"
    node_sh(ctx.victim, f"{upload} && {activate(ctx.victim)} >/dev/null 2>&1")


def _on_victim(command: str) -> Callable[[Context], None]:
    """Putting the lab back: `command` on the victim, unmarked."""

    def run(ctx: Context) -> None:
        node_sh(ctx.victim, command)

    return run


ROUTED_SCENARIOS: dict[str, RoutedScenario] = {
    s.name: s
    for s in (
        RoutedScenario("node-kill", "lb1 dies: its daemons killed, its interface silent", "lb1", _silent, _revive),
        RoutedScenario(
            "link-cut",
            "lb2's cable pulled (alone on its subnet)",
            "lb2",
            _cut,
            lambda ctx: set_link(ctx.victim, up=True),
        ),
        RoutedScenario(
            "plane-lost",
            "lb1's data plane lost: forwarding turned off",
            "lb1",
            _plane_lost,
            _on_victim("sysctl -qw net.ipv4.ip_forward=1"),
        ),
        RoutedScenario(
            "drain",
            "lb1 drained (planned withdraw): it keeps forwarding what still reaches it",
            "lb1",
            _drain,
            _on_victim(f"rm -f {PATHS.drain_file}"),
            zero_loss=True,
        ),
        RoutedScenario(
            "node-added",
            "lb3 joins: FRR starts on it and it announces",
            "lb3",
            _frr_started,
            lambda ctx: None,
            prepare=_frr_stopped,
            withdrawn=False,
            joins=True,
            zero_loss=True,
            duration_s=15.0,
        ),
        RoutedScenario(
            "node-removed",
            "lb3 removed from the stack: its teardown withdraws first, waits, then stops FRR and the plane",
            "lb3",
            _torn_down,
            _redeployed,
            zero_loss=True,
        ),
        RoutedScenario(
            "bfd-loss",
            "BFD between lb1 and the router lost; the node itself is fine",
            "lb1",
            _bfd_lost,
            _on_victim(f"nft delete table netdev {NO_BFD}"),
            zero_loss=True,
        ),
    )
}

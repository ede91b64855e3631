"""`lab up` for a `routing: bgp` stack: the nodes on their subnets (one bridge each), a router on every
one of those subnets and on the exporters' and collectors' own, FRR on the router and, through the
program's own commands, on every node; up when the router spreads every VIP over every node."""

from __future__ import annotations

import time
from collections.abc import Callable
from ipaddress import IPv4Interface
from typing import Any

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.runner.stackfile import stack_config
from ha_udp_lb.runner.synth import synth

from ..host import netns
from ..host.site import LAB_NETWORK, LabError, add_backends, add_exporters, pool_states, start_node, wait_commands
from ..host.state import LAB_DIR, STATE_FILE, LabState, NodeState, RouterState, VipState, lab_config, save_state
from ..host.sweep import down
from ..hosts.machine import Machine
from ..hosts.site import HostsLab, boot_node, check_ssh, provide
from . import router

ROUTER_NS = f"{netns.PREFIX}-rt"
EXPORTERS = IPv4Interface("198.18.20.1/24")
"""The router's address on the exporters' subnet; the exporters take addresses from .201 up."""
COLLECTORS = IPv4Interface("198.18.30.1/24")
"""The router's address on the collectors' subnet: every backend of the stack must be in it."""
UP_TIMEOUT_S = 60
ROUTER_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    # Hash on the addresses only (the destination is the same VIP): all of one exporter's streams reach
    # one node, and the fragments of a datagram stay together.
    "net.ipv4.fib_multipath_hash_policy": "0",
    # The nodes forward with the exporter's address as source, arriving from the node's subnet.
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "0",
    # A nexthop whose link is down is skipped at once, not used until FRR reacts.
    "net.ipv4.conf.all.ignore_routes_with_linkdown": "1",
    "net.ipv4.conf.default.ignore_routes_with_linkdown": "1",
}


def up(
    stack_name: str,
    exporters: int = 24,
    bfd_ms: int | None = None,
    bfd_multiplier: int | None = None,
    router_daemon: str = "frr",
) -> LabState:
    """Build the routed lab for `stack_name` (routing: bgp) and wait until the router has every node as
    a nexthop of every VIP. `bfd_ms`, `bfd_multiplier`: BFD's interval and detect multiplier instead of
    the stack's, on nodes and router alike; `router_daemon`: what routes on the router (router.DAEMONS).
    On any failure everything built so far is removed."""
    if STATE_FILE.exists() or netns.lab_namespaces():
        raise LabError("a lab is already up: run `ha-udp-lb lab down` first")
    if router_daemon not in router.DAEMONS:
        raise LabError(f"router {router_daemon!r}: the lab's router runs one of {sorted(router.DAEMONS)}")
    try:
        config = lab_config(stack_name, {})
        timers = {"intervalMs": bfd_ms, "multiplier": bfd_multiplier}
        bfd = {**config["bgp"].get("bfd", {}), **{key: value for key, value in timers.items() if value is not None}}
        config["bgp"] = {**config["bgp"], "bfd": bfd}
        stack = synth(stack_name, LAB_DIR / "synth", config=config)
        _check(stack)

        def start(node: Node, bridge: str, gateway: str) -> NodeState:
            return start_node(stack, node.name, None, bridge, gateway=gateway)

        state = _build(stack_name, stack, exporters, start, router_daemon)
        save_state(state)
        wait_commands(state)
        wait_announced(state, [n.address for n in state.nodes])
        return state
    except BaseException:
        down()
        raise


def up_on_hosts(stack_name: str, suite: str, exporters: int = 24, config: dict[str, Any] | None = None) -> HostsLab:
    """The routed lab with every node of `stack_name` (or of `config`, its stack config) a booted
    Debian host (lab.hosts); nothing deployed yet: `HostsLab.up` runs the program over SSH.
    On any failure everything built so far is removed."""
    if STATE_FILE.exists() or netns.lab_namespaces():
        raise LabError("a lab is already up: run `ha-udp-lb lab down` first")
    stack = parse_stack(config or stack_config(stack_name))
    check_ssh(stack, stack_name)
    _check(stack)
    try:
        provision = provide(suite)
        machines: dict[str, Machine] = {}

        def boot(node: Node, bridge: str, gateway: str) -> NodeState:
            machines[node.name], state = boot_node(node, provision, bridge, gateway)
            return state

        state = _build(stack_name, stack, exporters, boot)
        save_state(state)
        return HostsLab(stack_name, suite, state, machines, provision.private_key)
    except BaseException:
        down()
        raise


def _check(stack: Stack) -> None:
    if stack.routing != "bgp" or stack.bgp is None:
        raise LabError("the routed lab runs routing: bgp stacks; use stacks/Pulumi.bgp.yaml")
    for i, pool in enumerate(stack.pools):
        for j, backend in enumerate(pool.backends):
            if backend.address not in COLLECTORS.network:
                raise LabError(
                    f"pools[{i}].backends[{j}] = {backend.address}: the routed lab's collectors are in "
                    f"{COLLECTORS.network}"
                )
    for address in [n.address.ip for n in stack.nodes] + [v.address.ip for v in stack.vips]:
        if address not in LAB_NETWORK:
            raise LabError(f"{address}: the lab uses only {LAB_NETWORK}")


def _build(
    stack_name: str, stack: Stack, exporters: int, place: Callable[[Node, str, str], NodeState], daemon: str = "frr"
) -> LabState:
    """The router, its subnets and the stack's collectors and exporters; each node put on its subnet's
    bridge, its default route via the router, by `place` (a lab node or a booted host)."""
    assert stack.bgp is not None
    netns.add_namespace(ROUTER_NS)
    for key, value in ROUTER_SYSCTLS.items():
        _netns_sysctl(ROUTER_NS, key, value)
    subnets = sorted({node.address.network for node in stack.nodes}, key=str)
    nodes = []
    for index, subnet in enumerate(subnets, start=1):
        bridge = f"{netns.PREFIX}-s{index}"
        netns.add_bridge(bridge)
        gateway = next(p.address for p in stack.bgp.peers if p.address in subnet)
        netns.plug(ROUTER_NS, f"s{index}", f"{gateway}/{subnet.prefixlen}", bridge)
        for node in (n for n in stack.nodes if n.address.network == subnet):
            # The node's default route before its commands run: its kernel plane forwards by it.
            nodes.append(place(node, bridge, str(gateway)))
    nodes.sort(key=lambda n: [x.name for x in stack.nodes].index(n.name))
    for bridge, gateway in ((f"{netns.PREFIX}-ex", EXPORTERS), (f"{netns.PREFIX}-co", COLLECTORS)):
        netns.add_bridge(bridge)
        netns.plug(ROUTER_NS, bridge.rsplit("-", 1)[1], str(gateway), bridge)
    pools = pool_states(stack, {})
    backends = add_backends(pools, COLLECTORS, f"{netns.PREFIX}-co")
    exporter_states = add_exporters(EXPORTERS, {EXPORTERS.ip}, exporters, f"{netns.PREFIX}-ex")
    for ns in sorted({b.netns for b in backends}):
        netns.netns_run(ns, "ip", "route", "add", "default", "via", str(COLLECTORS.ip))
    for ns in sorted({e.netns for e in exporter_states}):
        netns.netns_run(ns, "ip", "route", "add", "default", "via", str(EXPORTERS.ip))
    init_pid, scratch = router.start(daemon, ROUTER_NS, LAB_DIR / "router", router.router_conf(stack, daemon))
    return LabState(
        stack=stack_name,
        nodes=nodes,
        backends=backends,
        exporters=exporter_states,
        vips=[VipState(address=str(v.address.ip), vrid=None, preferred=stack.nodes[0].name) for v in stack.vips],
        pools=pools,
        router=RouterState(netns=ROUTER_NS, daemon=daemon, init_pid=init_pid, scratch=scratch, exporter_interface="ex"),
    )


def _netns_sysctl(ns: str, key: str, value: str) -> None:
    netns.netns_run(ns, "sysctl", "-qw", f"{key}={value}")


def wait_announced(state: LabState, addresses: list[str], timeout: float = UP_TIMEOUT_S) -> None:
    """Until the router sends every VIP to exactly `addresses` (the nodes announcing) and has a BFD
    session with each at their timers, or LabError."""
    assert state.router is not None
    deadline = time.monotonic() + timeout
    wanted = sorted(addresses)
    seen: dict[str, list[str]] = {}
    unready = wanted
    while time.monotonic() < deadline:
        seen = {vip.address: router.nexthops(state.router, vip.address) for vip in state.vips}
        if all(hops == wanted for hops in seen.values()):
            unready = router.bfd_unready(state.router, wanted)
            if not unready:
                return
        time.sleep(0.05)
    raise LabError(
        f"after {timeout} s the router sends the VIPs to {seen} (wanted {wanted}); no BFD session at the "
        f"stack's timers with {unready}"
    )


def exporter_nodes(state: LabState) -> dict[int, str]:
    """Exporter index → the address of the node ECMP sends its datagrams to the first VIP to."""
    assert state.router is not None
    vip = state.vips[0].address
    found = {e.index: router.node_for(state.router, vip, e.address) for e in state.exporters}
    return {index: node for index, node in found.items() if node}

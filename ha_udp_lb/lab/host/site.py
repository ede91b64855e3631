"""`lab up` and `lab down`: a stack's nodes, backends and exporters built as network namespaces on one
bridge, each node running its synthesized files and commands under its own init; and all of it removed."""

from __future__ import annotations

import shutil
import time
from ipaddress import IPv4Address, IPv4Interface, ip_network
from pathlib import Path

from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.synth import synth

from . import netns
from .control import holders, start_backend
from .sandbox import launch
from .state import (
    LAB_DIR,
    STATE_FILE,
    BackendState,
    ExporterState,
    LabState,
    NodeState,
    Overrides,
    PoolState,
    VipState,
    lab_config,
    save_state,
)
from .sweep import down as down  # `lab down`: here beside `up`

LAB_NETWORK = ip_network("198.18.0.0/15")
"""The benchmarking range (RFC 2544): the only addresses the lab ever uses or sends to."""
BRIDGE = f"{netns.PREFIX}-br"
UP_TIMEOUT_S = 60


class LabError(RuntimeError):
    pass


def up(
    stack_name: str,
    exporters: int = 4,
    collectors: dict[str, str] | None = None,
    bundle: Path | None = None,
    overrides: Overrides | None = None,
) -> LabState:
    """Build the lab for `stack_name` and wait until every node is live and every VIP has one holder.
    On any failure (or Ctrl-C) everything built so far is removed before the error propagates.

    `collectors`: pool → the real collector its backends run instead of the recording sink
    (lab.host.collectors.KINDS).

    `bundle`: run hand-written files instead of the program's (bundle/nodes/<node>/files/<absolute path>
    and bundle/nodes/<node>/commands.sh), installed at their paths as by hand; the stack still gives
    the topology. It is how the seed's configuration is drilled beside ours.

    `overrides`: pool keys set in every pool instead of the stack file's, e.g. {"source": "transparent"}
    or {"dataPlane": "kernel"}."""
    if STATE_FILE.exists() or netns.lab_namespaces():
        raise LabError("a lab is already up: run `ha-udp-lb lab down` first")
    try:
        stack = synth(stack_name, LAB_DIR / "synth", config=lab_config(stack_name, overrides or {}))
        subnet = check_addresses(stack)
        unknown = sorted(set(collectors or {}) - {p.name for p in stack.pools})
        if unknown:
            raise LabError(
                f"--collector {', '.join(unknown)}: stack {stack_name} has pools {[p.name for p in stack.pools]}"
            )
        state = _build(stack_name, stack, subnet, exporters, collectors or {}, bundle)
        state.overrides = overrides or {}
        save_state(state)
        _wait_live(state)
        return state
    except BaseException:
        down()
        raise


def check_addresses(stack: Stack) -> IPv4Interface:
    """The lab only runs stacks that live entirely in 198.18.0.0/15, with every address on the first
    node's subnet (one bridge); anything else is refused before a single namespace exists."""
    first = stack.nodes[0].address
    if not isinstance(first, IPv4Interface):
        raise LabError("the lab runs IPv4 stacks only; nodes[0].address is IPv6")
    addresses = {f"nodes[{i}].address": n.address.ip for i, n in enumerate(stack.nodes)}
    addresses |= {f"vips[{i}].address": v.address.ip for i, v in enumerate(stack.vips)}
    for i, pool in enumerate(stack.pools):
        addresses |= {f"pools[{i}].backends[{j}]": b.address for j, b in enumerate(pool.backends)}
    for key, address in addresses.items():
        if address not in LAB_NETWORK or address not in first.network:
            raise LabError(
                f"{key} = {address}: the lab runs only stacks whose addresses are all in {first.network} "
                f"(the first node's subnet) inside {LAB_NETWORK}; use a stack like stacks/Pulumi.dev.yaml"
            )
    return first


def _build(
    stack_name: str,
    stack: Stack,
    subnet: IPv4Interface,
    exporters: int,
    collectors: dict[str, str],
    bundle: Path | None,
) -> LabState:
    netns.add_bridge(BRIDGE)
    nodes = [start_node(stack, node.name, bundle) for node in stack.nodes]
    return around_nodes(stack_name, stack, subnet, nodes, BRIDGE, exporters, collectors)


def around_nodes(
    stack_name: str,
    stack: Stack,
    subnet: IPv4Interface,
    nodes: list[NodeState],
    bridge: str,
    exporters: int,
    collectors: dict[str, str] | None = None,
) -> LabState:
    """The stack's collectors and `exporters` exporters on `bridge` beside its running `nodes`."""
    pools = pool_states(stack, collectors or {})
    backends = add_backends(pools, subnet, bridge)
    used = {IPv4Address(n.address) for n in nodes} | {IPv4Address(b.address) for b in backends}
    used |= {IPv4Address(str(v.address.ip)) for v in stack.vips}
    exporter_states = add_exporters(subnet, used, exporters, bridge)
    return LabState(
        stack=stack_name,
        nodes=nodes,
        backends=backends,
        exporters=exporter_states,
        vips=[
            VipState(address=str(v.address.ip), vrid=v.vrid, preferred=stack.preferred_node(v).name) for v in stack.vips
        ],
        pools=pools,
    )


def pool_states(stack: Stack, collectors: dict[str, str]) -> list[PoolState]:
    return [
        PoolState(
            name=p.name,
            vip=str(p.vip),
            port=p.port,
            backends=[(str(b.address), b.port) for b in p.backends],
            collector=collectors.get(p.name, "sink"),
        )
        for p in stack.pools
    ]


def add_backends(pools: list[PoolState], subnet: IPv4Interface, bridge: str) -> list[BackendState]:
    """A namespace on `bridge` per collector address of the pools, its collectors started."""
    ports_by_address: dict[str, dict[int, str]] = {}
    for pool in pools:
        for address, port in pool.backends:
            ports_by_address.setdefault(address, {})[port] = pool.collector
    backends = []
    for index, (address, ports) in enumerate(sorted(ports_by_address.items()), start=1):
        ns = f"{netns.PREFIX}-be{index}"
        netns.add_namespace(ns)
        backend = BackendState(
            name=f"be{index}",
            netns=ns,
            address=address,
            link=netns.plug(ns, "eth0", f"{address}/{subnet.network.prefixlen}", bridge),
            ports=sorted(port for port, collector in ports.items() if collector == "sink"),
            collectors={port: collector for port, collector in sorted(ports.items()) if collector != "sink"},
            data=LAB_DIR / "backends" / address,
        )
        start_backend(backend)
        backends.append(backend)
    return backends


EXPORTER_NAMESPACES = 4


def add_exporters(subnet: IPv4Interface, used: set[IPv4Address], count: int, bridge: str) -> list[ExporterState]:
    """`count` exporters, each with its own address, spread over at most four namespaces (one sender
    process each): many exporters without many processes. The first four have a namespace each."""
    candidates = [a for a in subnet.network.hosts() if a not in used and int(a) % 256 >= 120]
    free = iter(sorted(candidates, key=lambda a: (int(a) % 256 <= 200, int(a))))  # .201 and up first
    prefix = subnet.network.prefixlen
    exporters = []
    for index in range(1, count + 1):
        ns = f"{netns.PREFIX}-ex{(index - 1) % EXPORTER_NAMESPACES + 1}"
        exporter = ExporterState(index=index, netns=ns, address=str(next(free)))
        if index <= EXPORTER_NAMESPACES:
            netns.add_namespace(ns)
            netns.plug(ns, "eth0", f"{exporter.address}/{prefix}", bridge)
        else:
            netns.netns_run(ns, "ip", "addr", "add", f"{exporter.address}/{prefix}", "dev", "eth0")
        exporters.append(exporter)
    return exporters


def start_node(
    stack: Stack, name: str, bundle: Path | None, bridge: str = BRIDGE, gateway: str | None = None
) -> NodeState:
    """The node's namespace and cable, its synthesized files laid out where the program uploads them
    (the staging directory), and its synthesized commands run by the node's own init."""
    node = stack.node(name)
    ns = f"{netns.PREFIX}-{name}"
    netns.add_namespace(ns)
    link = netns.plug(ns, node.interface, str(node.address), bridge)
    if gateway:
        netns.netns_run(ns, "ip", "route", "add", "default", "via", gateway)
    home = LAB_DIR / "nodes" / name
    root, scratch = home / "root", home / "scratch"
    source = (bundle or LAB_DIR / "synth") / "nodes" / name
    # The program uploads to the staging directory and its commands install from there.
    shutil.copytree(
        source / "files", root / ("" if bundle else PATHS.staging.lstrip("/")), symlinks=True, dirs_exist_ok=True
    )
    if not bundle:
        # Uploaded before the staging step ran, which would count this node as staged by an older
        # program (one owner) besides itself: its teardown would then leave it be.
        (root / PATHS.owners.lstrip("/")).write_text("0\n")
    scratch.mkdir(parents=True)
    shutil.copy(source / "commands.sh", scratch / "commands.sh")
    return NodeState(
        name=name,
        netns=ns,
        interface=node.interface,
        address=str(node.address.ip),
        link=link,
        init_pid=launch(ns, root, scratch, "node.log"),
        scratch=scratch,
    )


def _wait_live(state: LabState) -> None:
    wait_commands(state)
    wait_settled(state)


def wait_commands(state: LabState) -> None:
    """Until every node's commands have exited 0, or LabError with the logs of those that did not."""
    deadline = time.monotonic() + UP_TIMEOUT_S
    pending = {n.name: n for n in state.nodes}
    while pending and time.monotonic() < deadline:
        for name, node in list(pending.items()):
            exit_file = node.scratch / "commands.exit"
            if exit_file.exists():
                code = int(exit_file.read_text())
                if code != 0:
                    log = (node.scratch / "node.log").read_text()[-3000:]
                    raise LabError(f"node {name}: its commands exited with {code}:\n{log}")
                del pending[name]
        time.sleep(0.05)
    if pending:
        # The lab, logs included, is removed on the way out: the logs go into the error.
        logs = "".join(f"\n--- {name}:\n{(n.scratch / 'node.log').read_text()[-1500:]}" for name, n in pending.items())
        raise LabError(f"nodes {sorted(pending)} not live after {UP_TIMEOUT_S} s:{logs}")


def wait_settled(state: LabState, timeout: float = 15) -> dict[str, list[str]]:
    """Until every VIP is held by exactly its preferred node (for a second), or LabError."""
    deadline = time.monotonic() + timeout
    settled_since = None
    held: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        held = holders(state)
        if all(held[v.address] == [v.preferred] for v in state.vips):
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since >= 1:
                return held
        else:
            settled_since = None
        time.sleep(0.05)
    raise LabError(f"VIPs not settled on their preferred nodes after {timeout} s: {held}")

"""`lab status`: who holds each VIP, how each node's daemons are, and what each collector got per pool."""

from __future__ import annotations

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render_kernel import kernel_id
from ha_udp_lb.node_agent.kernel import parse_counters

from .control import counters, daemons, health_view, holders, nginx_down_flag, node_alive, node_sh
from .state import LabState


def report(state: LabState) -> str:
    lines = [
        f"lab: stack {state.stack}: {len(state.nodes)} nodes, {len(state.backends)} collectors, "
        f"{len(state.exporters)} exporters"
    ]
    lines += _routed_vips(state) if state.router else _vrrp_vips(state)
    routing = "bgpd" if state.router else "keepalived"
    lines += ["", f"{'node':<8} {'address':<15} {'nginx':<14} {routing:<11} socket watcher"]
    for node in state.nodes:
        if not node_alive(node):
            lines.append(f"{node.name:<8} {node.address:<15} (node stopped)")
            continue
        procs, flag = daemons(node), nginx_down_flag(node)
        nginx = f"{procs.get('nginx', 0)} processes" if procs.get("nginx") else "not running"
        keepalived = "running" if procs.get(routing) else "not running"
        watcher = {"0": "healthy", "1": "nginx down"}.get(flag, "no verdict yet")
        lines.append(f"{node.name:<8} {node.address:<15} {nginx:<14} {keepalived:<11} {watcher}")
    views = {node.name: health_view(node).get("pools", {}) if node_alive(node) else {} for node in state.nodes}
    health_columns = " ".join(f"{'health@' + node.name:<12}" for node in state.nodes)
    lines += ["", f"{'pool':<12} {'listen':<20} {'collector':<20} {health_columns} datagrams"]
    for pool in state.pools:
        for address, port in pool.backends:
            endpoint = f"{address}:{port}"
            real = f"({pool.collector})"
            got: int | str = counters(state.backend(address)).get(port, 0) if pool.collector == "sink" else real
            health = " ".join(f"{_health(views[node.name], pool.name, endpoint):<12}" for node in state.nodes)
            lines.append(f"{pool.name:<12} {pool.vip + ':' + str(pool.port):<20} {endpoint:<20} {health} {got}")
    if state.data_plane == "kernel":
        lines += _table_counters(state)
    return "\n".join(lines)


def _vrrp_vips(state: LabState) -> list[str]:
    held = holders(state)
    lines = ["", f"{'VIP':<16} {'holder':<12} preferred"]
    for vip in state.vips:
        holder = "+".join(held[vip.address]) or "nobody"
        warning = "  <- split brain" if len(held[vip.address]) > 1 else ""
        lines.append(f"{vip.address:<16} {holder:<12} {vip.preferred}{warning}")
    return lines


def _routed_vips(state: LabState) -> list[str]:
    """routing bgp: where the router sends each VIP (ECMP over the nodes announcing it)."""
    from ..routed.router import nexthops  # the routed lab is built on this package, not the other way

    assert state.router is not None
    names = {node.address: node.name for node in state.nodes}
    lines = ["", f"{'VIP':<16} the router ({state.router.daemon}) sends it to (ECMP)"]
    for vip in state.vips:
        hops = [names.get(hop, hop) for hop in nexthops(state.router, vip.address)]
        lines.append(f"{vip.address:<16} {' + '.join(hops) or 'nobody: no node announces it'}")
    return lines


def _table_counters(state: LabState) -> list[str]:
    """What each node's table counted per pool, on either plane: datagrams in, and to each collector."""
    lines = ["", f"{'pool':<12} {'node':<8} {'in':>10}  to each collector"]
    for node in state.nodes:
        if not node_alive(node):
            continue
        listing = node_sh(node, f"nft -j list counters table inet {PATHS.kernel_table}", timeout=5).stdout
        counts = parse_counters(listing)
        for pool in state.pools:
            prefix = kernel_id(pool.name)
            sent = " ".join(
                f"{address}:{port}={counts.get(f'{prefix}_{i}', (0, 0))[0]}"
                for i, (address, port) in enumerate(pool.backends)
            )
            lines.append(f"{pool.name:<12} {node.name:<8} {counts.get(f'{prefix}_in', (0, 0))[0]:>10}  {sent}")
    return lines


def _health(view: dict[str, dict[str, dict[str, object]]], pool: str, endpoint: str) -> str:
    """What one node's health agent says of a pool's collector: up, down, or not yet known."""
    verdict = view.get(pool, {}).get(endpoint)
    if verdict is None:
        return "-"
    return "up" if verdict["up"] else "DOWN"

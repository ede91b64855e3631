"""`ha-udp-lb status` as text: per VIP who holds it and each node's VRRP role, per pool each collector's
health on every node and datagrams/s, each node's drops/s and its agent, from two readings of every
node's metrics `seconds` apart."""

from __future__ import annotations

from dataclasses import dataclass

from .readings import Readings, per_second, value


@dataclass(frozen=True)
class Look:
    """One node read twice: its metrics `seconds` apart, and its own clock at the second reading."""

    before: Readings
    after: Readings
    seconds: float
    clock: float


Nodes = dict[str, Readings]


def render(
    stack_name: str, vips: list[str], pools: list[tuple[str, str]], looks: dict[str, Look], unreachable: dict[str, str]
) -> str:
    """`pools`: (name, "plane, VIP:port") in the stack's order; `unreachable`: node → why it did not answer."""
    nodes = sorted(looks)
    before = {node: look.before for node, look in looks.items()}
    after = {node: look.after for node, look in looks.items()}
    seconds = min((look.seconds for look in looks.values()), default=1.0)
    lines = [_headline(stack_name, after, unreachable)]
    lines += _vips(vips, nodes, after)
    for name, where in pools:
        lines += _pool(name, where, nodes, before, after, seconds)
    lines += _drops(nodes, before, after, seconds)
    lines += _agents(looks)
    return "\n".join(lines) + "\n"


def _headline(stack_name: str, after: Nodes, unreachable: dict[str, str]) -> str:
    digests = {node: _label(readings, "ha_udp_lb_deployment_info", "deployment") for node, readings in after.items()}
    same = set(digests.values())
    deployment = f"deployment {same.pop()} on every node" if len(same) == 1 else f"DEPLOYMENTS DIFFER: {digests}"
    missing = "".join(f"\n  {node}: NOT REACHED ({why})" for node, why in sorted(unreachable.items()))
    return f"stack {stack_name}: {len(after)} nodes answered, {deployment}{missing}"


def _vips(vips: list[str], nodes: list[str], after: Nodes) -> list[str]:
    lines = ["", f"{'VIP':<18}{'held by':<16}" + "".join(f"{node:<20}" for node in nodes)]
    for vip in vips:
        holders = [node for node in nodes if value(after[node], "ha_udp_lb_vip_held", vip=vip) == 1]
        held = ", ".join(holders) or "NOBODY"
        roles = [_role(after[node], vip) for node in nodes]
        lines.append(f"{vip:<18}{held:<16}" + "".join(f"{role:<20}" for role in roles))
    return lines


def _role(readings: Readings, vip: str) -> str:
    state = next(
        (
            s.labels["state"]
            for s in readings.get("ha_udp_lb_vrrp_state", [])
            if s.labels.get("vip") == vip and s.value == 1
        ),
        None,
    )
    if state is None:
        return "announced" if value(readings, "ha_udp_lb_vip_held", vip=vip) == 1 else "-"
    priority = value(readings, "ha_udp_lb_vrrp_priority", vip=vip)
    return f"{state} ({priority:.0f})" if priority is not None else state


def _pool(name: str, where: str, nodes: list[str], before: Nodes, after: Nodes, seconds: float) -> list[str]:
    rate = sum(
        per_second(before[n], after[n], "ha_udp_lb_pool_datagrams_total", seconds, pool=name) or 0 for n in nodes
    )
    lines = [
        "",
        f"pool {name} ({where}): {rate:,.0f} datagrams/s in",
        f"  {'collector':<26}{'health on ' + ' '.join(nodes):<30}datagrams/s",
    ]
    collectors = (
        [
            s.labels["collector"]
            for s in after[nodes[0]].get("ha_udp_lb_collector_datagrams_total", [])
            if s.labels.get("pool") == name
        ]
        if nodes
        else []
    )
    for collector in collectors:
        health = " ".join(_health(after[n], name, collector) for n in nodes)
        sent = sum(
            per_second(
                before[n], after[n], "ha_udp_lb_collector_datagrams_total", seconds, pool=name, collector=collector
            )
            or 0
            for n in nodes
        )
        lines.append(f"  {collector:<26}{health:<30}{sent:,.0f}")
    return lines


def _health(readings: Readings, pool: str, collector: str) -> str:
    up = value(readings, "ha_udp_lb_collector_up", pool=pool, collector=collector)
    return "up" if up == 1 else "DOWN" if up == 0 else "-"


def _drops(nodes: list[str], before: Nodes, after: Nodes, seconds: float) -> list[str]:
    causes = sorted({s.labels["cause"] for n in nodes for s in after[n].get("ha_udp_lb_node_drops_total", [])})
    lines = ["", f"{'drops/s':<22}" + "".join(f"{node:>12}" for node in nodes)]
    for cause in causes:
        rates = [per_second(before[n], after[n], "ha_udp_lb_node_drops_total", seconds, cause=cause) for n in nodes]
        lines.append(f"{cause:<22}" + "".join(f"{'-' if r is None else f'{r:,.0f}':>12}" for r in rates))
    refused = [per_second(before[n], after[n], "ha_udp_lb_forward_refused_total", seconds) for n in nodes]
    lines.append(f"{'routed, refused':<22}" + "".join(f"{'-' if r is None else f'{r:,.0f}':>12}" for r in refused))
    return lines


def _agents(looks: dict[str, Look]) -> list[str]:
    lines = [""]
    for node, look in sorted(looks.items()):
        turn = value(look.after, "ha_udp_lb_agent_last_turn_timestamp_seconds")
        in_step = value(look.after, "ha_udp_lb_agent_in_step")
        step = "in step" if in_step == 1 else "OUT OF STEP (the node refuses its changes)" if in_step == 0 else "-"
        age = f"last turn {look.clock - turn:.1f} s ago" if turn else "NO METRICS (agent stopped?)"
        lines.append(f"agent on {node}: {age}, {step}")
    return lines


def _label(readings: Readings, name: str, label: str) -> str:
    return next((s.labels.get(label, "") for s in readings.get(name, [])), "?")

"""`ha-udp-lb status` and `ha-udp-lb where` over any way of running a command on a node (reach.Run):
SSH for a deployed stack, the lab's own for its tests."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from ha_udp_lb.core.addresses import host_port
from ha_udp_lb.core.model import Stack

from . import placement, questions, status_view
from .reach import Run, on_every_node
from .readings import parse, value


def status(stack_name: str, stack: Stack, run: Run) -> str:
    said, unreachable = on_every_node(stack, run, questions.status_command())
    looks = {node: questions.read_status(text) for node, text in said.items()}
    vips = [str(vip.address.ip) for vip in stack.vips]
    pools = [(p.name, f"{p.data_plane}, {host_port(p.vip, p.port)}") for p in stack.pools]
    return status_view.render(stack_name, vips, pools, looks, unreachable)


@dataclass(frozen=True)
class NodeAnswer:
    collector: str | None
    holds_vip: bool
    how: str


@dataclass(frozen=True)
class WhereAnswer:
    pool: str
    exporter: str
    collector: str | None
    """The answer of the node(s) the exporter reaches: VRRP's holder of the VIP; with bgp every
    announcing node, which agree while their agents do. None when they disagree or none holds it."""
    nodes: dict[str, NodeAnswer]
    unreachable: dict[str, str]


def where(stack: Stack, pool_name: str, exporters: list[str], run: Run) -> list[WhereAnswer]:
    """Where every node sends each of `exporters`' datagrams of `pool_name` now, from its live table or
    pool file (each node asked once, whatever the number of exporters)."""
    pool = next((p for p in stack.pools if p.name == pool_name), None)
    if pool is None:
        raise ValueError(f"the stack has no pool {pool_name!r}; its pools: {', '.join(p.name for p in stack.pools)}")
    if pool.hash_key not in ("$remote_addr", "$binary_remote_addr"):
        raise ValueError(
            f"pool {pool.name} hashes {pool.hash_key}: where answers for pools hashing the exporter's address only"
        )
    said, unreachable = on_every_node(stack, run, questions.where_command(pool))
    read = {node: questions.read_where(text) for node, text in sorted(said.items())}
    holders = {
        node: value(parse(metrics), "ha_udp_lb_vip_held", vip=str(pool.vip)) == 1 for node, (metrics, _) in read.items()
    }
    answers = []
    for exporter in exporters:
        nodes = {}
        for node, (_, live) in read.items():
            if pool.data_plane == "nginx":
                found = placement.on_nginx(pool, live[0], exporter)
            else:
                found = placement.on_kernel(pool, exporter, live[0], live[1])
            nodes[node] = NodeAnswer(found.collector, holders[node], found.how)
        reached = {answer.collector for answer in nodes.values() if answer.holds_vip}
        answers.append(
            WhereAnswer(pool.name, exporter, reached.pop() if len(reached) == 1 else None, nodes, unreachable)
        )
    return answers


def where_text(answer: WhereAnswer) -> str:
    lines = [
        f"exporter {answer.exporter} of pool {answer.pool}: {answer.collector or 'no one collector (see each node)'}"
    ]
    for node, said in answer.nodes.items():
        holder = " (holds the VIP)" if said.holds_vip else ""
        lines.append(f"  {node}{holder}: {said.collector or '-'}, by {said.how}")
    lines += [f"  {node}: NOT REACHED ({why})" for node, why in answer.unreachable.items()]
    return "\n".join(lines) + "\n"


def as_json(answers: list[WhereAnswer]) -> str:
    return json.dumps([asdict(answer) for answer in answers], indent=1, sort_keys=True) + "\n"

"""A node's files, composed in one place: what the program stages and activates, and what the tests,
the daemon judges and the golden files read. Each part has one owner (a component stages it); the
apply script, which lists every file, comes last."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import Node, Stack
from .paths import PATHS
from .render import (
    render_apply,
    render_entrypoint,
    render_health,
    render_nginx,
    render_pool,
    render_vrrp,
)
from .render_bgp import render_bgp
from .render_kernel import render_kernel
from .templating import NodeFile

VRRP, BGP, HEALTH, KERNEL, NODE = "vrrp", "bgp", "health", "kernel", "node"
"""Owners of a node's files besides the pools: VrrpGroup or BgpSpeakers (the stack's routing),
CollectorHealth, KernelPlane and LbNode."""


def pool_part(pool_name: str) -> str:
    """The owner of one nginx pool's file (its NginxUdpPool)."""
    return f"pool:{pool_name}"


@dataclass(frozen=True)
class NodeFiles:
    parts: dict[str, dict[str, NodeFile]]
    """Owner → path → file: what each component stages. No path is in two parts."""
    files: dict[str, NodeFile]
    """Every file of the node by path: every part's, and the apply script that validates and activates them."""

    @property
    def apply_script(self) -> NodeFile:
        return self.files[PATHS.apply_script]


def compose_node(stack: Stack, node: Node, agent: Mapping[str, str]) -> NodeFiles:
    """Every file `node` needs. `agent`: the health agent's sources (path under its directory → text)."""
    parts = {
        **({VRRP: render_vrrp(stack, node)} if stack.routing == "vrrp" else {BGP: render_bgp(stack, node)}),
        HEALTH: render_health(stack, node, agent),
        KERNEL: render_kernel(stack, node),
        NODE: {**render_nginx(stack, node), **render_entrypoint(stack, node)},
        **{pool_part(pool.name): render_pool(stack, pool) for pool in stack.pools_on("nginx")},
    }
    files: dict[str, NodeFile] = {}
    for owner, part in parts.items():
        clash = files.keys() & part.keys()
        assert not clash, f"{owner} renders {sorted(clash)} a second time"
        files |= part
    return NodeFiles(parts, {**files, **render_apply(node, files)})


def compose(stack: Stack, agent: Mapping[str, str]) -> dict[str, NodeFiles]:
    """Node name → its files, for every node of the stack."""
    return {node.name: compose_node(stack, node, agent) for node in stack.nodes}

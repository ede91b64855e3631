"""VrrpPair: keepalived on every node, for every VIP, with nginx's health wired to the VIPs."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.model import Node, Stack
from core.render import NodeFile, render_vrrp

from .lb_node import LbNode


class VrrpPairArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    nodes: dict[str, LbNode]
    """Every node, by name."""


class VrrpPair(pulumi.ComponentResource):
    vips: pulumi.Output[list[str]]
    """Every VIP as address/prefix."""
    initial_roles: pulumi.Output[dict[str, dict[str, str]]]
    """VIP → node → MASTER or BACKUP when every node is healthy."""

    def __init__(self, name: str, args: VrrpPairArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ha-udp-lb:index:VrrpPair", name, {}, opts)
        stack = args["stack"]
        for node in stack.nodes:
            target = args["nodes"][node.name]
            for path in sorted(render_vrrp(stack, node)):
                slug = path.rsplit("/", 1)[1].replace(".", "-")
                target.place(f"{name}-{node.name}-{slug}", self, path, _rendered(stack, node, path))
        self.vips = pulumi.Output.from_input([str(vip.address) for vip in stack.vips])
        self.initial_roles = pulumi.Output.from_input(stack.initial_roles())
        self.register_outputs({"vips": self.vips, "initial_roles": self.initial_roles})


def _rendered(stack: Stack, node: Node, path: str) -> pulumi.Output[NodeFile]:
    """Rendered inside apply, as the component guide asks; a file with the password in it is secret."""

    def render(_: str) -> NodeFile:
        return render_vrrp(stack, node)[path]

    return pulumi.Output.from_input(node.name).apply(render)

"""VrrpPair: keepalived on every node, for every VIP, with nginx's health wired to the VIPs."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.model import Stack
from core.project import PROJECT
from core.render import NodeFile, render_vrrp

from .transport import Transport, stage_per_node


class VrrpPairArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class VrrpPair(pulumi.ComponentResource):
    vips: pulumi.Output[list[str]]
    """Every VIP as address/prefix."""
    initial_roles: pulumi.Output[dict[str, dict[str, str]]]
    """VIP → node → MASTER or BACKUP when every node is healthy."""
    files: dict[str, dict[str, NodeFile]]
    """Node → path → file: keepalived's config, the socket watcher, the loopback VIPs, sysctls, units."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of those files (none for a container, whose files ride in its creation)."""

    def __init__(self, name: str, args: VrrpPairArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:VrrpPair", name, {}, opts)
        stack = args["stack"]
        self.files = {node.name: render_vrrp(stack, node) for node in stack.nodes}
        self.staged = stage_per_node(name, self, args["hosts"], self.files)
        self.vips = pulumi.Output.from_input([str(vip.address) for vip in stack.vips])
        self.initial_roles = pulumi.Output.from_input(stack.initial_roles())
        self.register_outputs({"vips": self.vips, "initial_roles": self.initial_roles})

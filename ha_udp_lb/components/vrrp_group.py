"""VrrpGroup: keepalived on every node of the group, for every VIP, with nginx's health wired to the VIPs."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.compose import VRRP, NodeFiles
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT

from .transport import Transport, stage_part


class VrrpGroupArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    files: dict[str, NodeFiles]
    """Node → its composed files (core.compose); this component stages their `vrrp` part."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class VrrpGroup(pulumi.ComponentResource):
    vips: pulumi.Output[list[str]]
    """Every VIP as address/prefix."""
    initial_roles: pulumi.Output[dict[str, dict[str, str]]]
    """VIP → node → MASTER or BACKUP when every node is healthy."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of keepalived's config, the socket watcher, the loopback VIPs, sysctls and
    units (none for a container, whose files ride in its creation)."""

    def __init__(self, name: str, args: VrrpGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:VrrpGroup", name, {}, opts)
        stack = args["stack"]
        self.staged = stage_part(name, self, args["hosts"], args["files"], VRRP)
        self.vips = pulumi.Output.from_input([str(vip.address) for vip in stack.vips])
        self.initial_roles = pulumi.Output.from_input(stack.initial_roles())
        self.register_outputs({"vips": self.vips, "initial_roles": self.initial_roles})

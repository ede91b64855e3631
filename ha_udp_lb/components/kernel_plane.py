"""KernelPlane: the pools that nftables forwards statelessly, on every node (one table, one file)."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.addresses import host_port
from ha_udp_lb.core.compose import KERNEL, NodeFiles
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT

from .transport import Transport, stage_part


class KernelPlaneArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack); its pools with `dataPlane: kernel` live here."""
    files: dict[str, NodeFiles]
    """Node → its composed files (core.compose); this component stages their `kernel` part."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class KernelPlane(pulumi.ComponentResource):
    endpoints: pulumi.Output[dict[str, str]]
    """Pool → where exporters send (VIP:port), for the kernel-plane pools."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the upload of the nftables ruleset (none when no pool uses the kernel plane, or for a
    container, whose files ride in its creation)."""

    def __init__(self, name: str, args: KernelPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:KernelPlane", name, {}, opts)
        stack = args["stack"]
        self.staged = stage_part(name, self, args["hosts"], args["files"], KERNEL)
        self.endpoints = pulumi.Output.from_input(
            {pool.name: host_port(pool.vip, pool.port) for pool in stack.pools_on("kernel")}
        )
        self.register_outputs({"endpoints": self.endpoints})

"""KernelPlane: the pools that nftables forwards statelessly, on every node (one table, one file)."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.addresses import host_port
from core.model import Stack
from core.project import PROJECT
from core.render import NodeFile, render_kernel

from .transport import Transport, stage_per_node


class KernelPlaneArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack); its pools with `dataPlane: kernel` live here."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class KernelPlane(pulumi.ComponentResource):
    endpoints: pulumi.Output[dict[str, str]]
    """Pool → where exporters send (VIP:port), for the kernel-plane pools."""
    files: dict[str, dict[str, NodeFile]]
    """Node → path → file: the nftables ruleset (none when no pool uses the kernel plane)."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of those files (none for a container, whose files ride in its creation)."""

    def __init__(self, name: str, args: KernelPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:KernelPlane", name, {}, opts)
        stack = args["stack"]
        self.files = {node.name: render_kernel(stack, node) for node in stack.nodes}
        self.staged = stage_per_node(name, self, args["hosts"], self.files)
        self.endpoints = pulumi.Output.from_input(
            {pool.name: host_port(pool.vip, pool.port) for pool in stack.pools_on("kernel")}
        )
        self.register_outputs({"endpoints": self.endpoints})

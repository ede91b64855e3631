"""NginxUdpPool: one UDP pool (listener, backends, consistent hashing) on every node."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.model import Pool, Stack
from core.render import render_pool

from .lb_node import LbNode


class NginxUdpPoolArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    pool: Pool
    """This pool."""
    nodes: dict[str, LbNode]
    """Every node, by name: each gets the same pool file, so each maps an exporter to the same collector."""


class NginxUdpPool(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    """Where exporters send: VIP:port."""
    backends: pulumi.Output[list[str]]
    """The collectors, as IP:port, in hashing order."""

    def __init__(self, name: str, args: NginxUdpPoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ha-udp-lb:index:NginxUdpPool", name, {}, opts)
        stack, pool = args["stack"], args["pool"]
        ((path, pool_file),) = render_pool(stack, pool).items()
        for node_name, target in sorted(args["nodes"].items()):
            target.place(f"{name}-{node_name}", self, path, pulumi.Output.from_input(pool_file))
        host = f"[{pool.vip}]" if pool.vip.version == 6 else str(pool.vip)
        self.endpoint = pulumi.Output.from_input(f"{host}:{pool.port}")
        self.backends = pulumi.Output.from_input([b.endpoint for b in pool.backends])
        self.register_outputs({"endpoint": self.endpoint, "backends": self.backends})

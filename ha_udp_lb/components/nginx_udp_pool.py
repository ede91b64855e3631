"""NginxUdpPool: one UDP pool (listener, backends, consistent hashing) on every node."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.addresses import host_port
from ha_udp_lb.core.compose import NodeFiles, pool_part
from ha_udp_lb.core.model import Pool
from ha_udp_lb.core.project import PROJECT

from .transport import Transport, stage_part


class NginxUdpPoolArgs(TypedDict):
    pool: Pool
    """This pool."""
    files: dict[str, NodeFiles]
    """Node → its composed files (core.compose); this component stages the pool's part, the same bytes
    on every node, so each maps an exporter to the same collector."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class NginxUdpPool(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    """Where exporters send: VIP:port."""
    backends: pulumi.Output[list[str]]
    """The collectors, as IP:port, in hashing order."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the upload of the pool's file (none for a container, whose files ride in its creation)."""

    def __init__(self, name: str, args: NginxUdpPoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:NginxUdpPool", name, {}, opts)
        pool = args["pool"]
        self.staged = stage_part(name, self, args["hosts"], args["files"], pool_part(pool.name))
        self.endpoint = pulumi.Output.from_input(host_port(pool.vip, pool.port))
        self.backends = pulumi.Output.from_input([b.endpoint for b in pool.backends])
        self.register_outputs({"endpoint": self.endpoint, "backends": self.backends})

"""NginxUdpPool: one UDP pool (listener, backends, consistent hashing) on every node."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.addresses import host_port
from core.model import Pool, Stack
from core.project import PROJECT
from core.render import NodeFile, render_pool

from .transport import Transport


class NginxUdpPoolArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    pool: Pool
    """This pool."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name: each gets the same pool file, so each maps an exporter
    to the same collector."""


class NginxUdpPool(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    """Where exporters send: VIP:port."""
    backends: pulumi.Output[list[str]]
    """The collectors, as IP:port, in hashing order."""
    files: dict[str, NodeFile]
    """The pool's file by path: the same on every node."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the upload of that file (none for a container, whose files ride in its creation)."""

    def __init__(self, name: str, args: NginxUdpPoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:NginxUdpPool", name, {}, opts)
        stack, pool = args["stack"], args["pool"]
        self.files = render_pool(stack, pool)
        self.staged = {}
        for node_name, host in sorted(args["hosts"].items()):
            uploads = (host.stage(f"{name}-{node_name}", self, path, f) for path, f in self.files.items())
            self.staged[node_name] = [upload for upload in uploads if upload]
        self.endpoint = pulumi.Output.from_input(host_port(pool.vip, pool.port))
        self.backends = pulumi.Output.from_input([b.endpoint for b in pool.backends])
        self.register_outputs({"endpoint": self.endpoint, "backends": self.backends})

"""LbNode: one load-balancer node put live: its own files (nginx's main file, a container's command),
and the step that validates every file on the node and activates them, after the nodes before it in
the rollout."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.compose import NODE, NodeFiles
from ha_udp_lb.core.model import Node
from ha_udp_lb.core.project import PROJECT
from ha_udp_lb.core.render import files_digest

from .transport import Transport, stage_part


class LbNodeArgs(TypedDict):
    node: Node
    """This node."""
    files: NodeFiles
    """Its composed files (core.compose): this component stages the `node` part and activates them all."""
    transport: Transport
    """How files reach the node: components.ssh_host.SshHost or components.docker_host.DockerHost."""
    staged: list[pulumi.Resource]
    """The other components' uploads to this node: activation waits for every one."""
    after: list[pulumi.Resource]
    """The nodes before this one in the rollout: activation waits for them too."""


class LbNode(pulumi.ComponentResource):
    address: pulumi.Output[str]
    """The node's own address."""
    files_hash: pulumi.Output[str]
    """SHA-256 over every file of the node (paths, modes, bytes); secret when a file is."""
    activated: pulumi.Resource
    """The step that puts the node's files live: the next node in the rollout waits for it."""

    def __init__(self, name: str, args: LbNodeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:LbNode", name, {}, opts)
        node, node_files, transport = args["node"], args["files"], args["transport"]
        own = stage_part(name, self, {node.name: transport}, {node.name: node_files}, NODE)[node.name]
        files = node_files.files
        digest = files_digest(files)
        # A hash over a short password is as good as the password: secret whenever a file is.
        secret = any(f.secret for f in files.values())
        self.files_hash = pulumi.Output.secret(digest) if secret else pulumi.Output.from_input(digest)
        self.address = pulumi.Output.from_input(str(node.address.ip))
        self.activated = transport.activate(name, self, files, self.files_hash, [*args["staged"], *own, *args["after"]])
        self.register_outputs({"address": self.address, "files_hash": self.files_hash})

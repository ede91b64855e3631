"""LbNode: one load-balancer node put live: its nginx main file, the apply script, and the step that
validates every file on the node and activates them, after the nodes before it in the rollout."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.model import Node, Stack
from core.project import PROJECT
from core.render import NodeFile, files_digest, render_apply, render_entrypoint, render_nginx

from .transport import Transport, slug


class LbNodeArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    node: Node
    """This node."""
    transport: Transport
    """How files reach the node: components.ssh_host.SshHost or components.docker_host.DockerHost."""
    files: dict[str, NodeFile]
    """What the other components staged on this node (VrrpPair's, every NginxUdpPool's), by path."""
    staged: list[pulumi.Resource]
    """Their uploads: activation waits for every one."""
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
        node, transport = args["node"], args["transport"]
        own = {**render_nginx(args["stack"], node), **render_entrypoint(args["stack"], node)}
        staged = [*args["staged"]]
        for path, node_file in own.items():
            upload = transport.stage(f"{name}-{slug(path)}", self, path, node_file)
            staged += [upload] if upload else []
        files = {**args["files"], **own}
        files |= render_apply(node, files)
        digest = files_digest(files)
        # A hash over a short password is as good as the password: secret whenever a file is.
        secret = any(f.secret for f in files.values())
        self.files_hash = pulumi.Output.secret(digest) if secret else pulumi.Output.from_input(digest)
        self.address = pulumi.Output.from_input(str(node.address.ip))
        self.activated = transport.activate(name, self, files, self.files_hash, [*staged, *args["after"]])
        self.register_outputs({"address": self.address, "files_hash": self.files_hash})

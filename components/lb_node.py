"""LbNode: one load-balancer node, and how files and commands reach it (ssh host or Docker container)."""

from __future__ import annotations

import hashlib
from typing import TypedDict

import pulumi
import pulumi_command as command
import pulumi_docker as docker

from core import commands
from core.model import Node, Stack
from core.render import PATHS, NodeFile, files_digest, render_apply, render_nginx, render_node

CAPABILITIES = ["NET_ADMIN", "NET_RAW", "NET_BROADCAST"]
"""What keepalived needs in a container to add addresses and send adverts and GARPs."""


class LbNodeArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack)."""
    node: Node
    """This node."""
    private_key: pulumi.Output[str] | None
    """ssh target: the private key, a secret."""
    network: docker.Network | None
    """docker target: the bridge network the node joins."""
    image: docker.Image | None
    """docker target: the LB image."""


class LbNode(pulumi.ComponentResource):
    """A node. Other components `place` their files on it; `activate` then puts them all live at once,
    after the daemons on the node have accepted them."""

    address: pulumi.Output[str]
    """The node's own address."""
    files_hash: pulumi.Output[str]
    """SHA-256 over every file placed on the node (paths, modes, bytes); secret when a file is."""

    def __init__(self, name: str, args: LbNodeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ha-udp-lb:index:LbNode", name, {}, opts)
        self._name = name
        self._stack = args["stack"]
        self._node = args["node"]
        self._network = args["network"]
        self._image = args["image"]
        self._files: dict[str, pulumi.Output[NodeFile]] = {}
        self._rendered = render_node(self._stack, self._node)
        self._secret = any(f.secret for f in self._rendered.values())
        self._uploads: list[pulumi.Resource] = []
        self.address = pulumi.Output.from_input(str(self._node.address.ip))
        self._connection: command.remote.ConnectionArgs | None = None
        self._staging: command.remote.Command | None = None
        if self._stack.target == "ssh":
            ssh = self._node.ssh
            assert ssh is not None and args["private_key"] is not None  # the model requires both for ssh
            self._connection = command.remote.ConnectionArgs(
                host=ssh.host, user=ssh.user, port=ssh.port, private_key=pulumi.Output.secret(args["private_key"])
            )
            install = command.remote.Command(
                f"{name}-install",
                connection=self._connection,
                create=commands.install_command(),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._staging = command.remote.Command(
                f"{name}-staging",
                connection=self._connection,
                create=commands.prepare_command(sorted(self._rendered)),
                # Staging is laid out afresh whenever anything on the node changes.
                triggers=[self._keep_secret(files_digest(self._rendered))],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[install]),
            )
        for path, node_file in render_nginx(self._stack, self._node).items():
            self.place(f"{name}-nginx-conf", self, path, pulumi.Output.from_input(node_file))

    def _keep_secret(self, value: pulumi.Input[str]) -> pulumi.Output[str]:
        """A hash over a short password is as good as the password: secret whenever one is in play."""
        return pulumi.Output.secret(value) if self._secret else pulumi.Output.from_input(value)

    def place(self, name: str, parent: pulumi.Resource, path: str, node_file: pulumi.Output[NodeFile]) -> None:
        """Stage `node_file` at `path` on this node; `parent` owns the upload (ssh) if there is one."""
        self._files[path] = node_file
        if self._connection is None:
            return  # docker: every file rides in the container's uploads
        content = node_file.apply(lambda f: pulumi.Output.secret(f.content) if f.secret else f.content)
        self._uploads.append(
            command.remote.CopyToRemote(
                name,
                connection=self._connection,
                source=content.apply(pulumi.StringAsset),
                remote_path=PATHS.staging + path,
                triggers=[content.apply(_sha256)],
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[self._staging] if self._staging else None),
            )
        )

    def activate(self, after: list[pulumi.Resource]) -> pulumi.Resource:
        """Create the step that validates and puts every placed file live; it runs after `after`."""
        all_files = pulumi.Output.all(*(self._files[p] for p in sorted(self._files)))
        paths = sorted(self._files)

        def complete(files: list[NodeFile]) -> dict[str, NodeFile]:
            by_path = dict(zip(paths, files, strict=True))
            return {**by_path, **render_apply(self._node, by_path)}

        complete_files = all_files.apply(complete)
        self.files_hash = self._keep_secret(complete_files.apply(files_digest))
        apply_file = complete_files.apply(lambda files: files[PATHS.apply_script])
        if self._connection is not None:
            self.place(f"{self._name}-apply-script", self, PATHS.apply_script, apply_file)
            step: pulumi.Resource = command.remote.Command(
                f"{self._name}-apply",
                connection=self._connection,
                create=commands.apply_command(),
                triggers=[self.files_hash],
                # The rejection report can quote configuration lines; keep it out of logs when a secret is in play.
                logging=command.remote.Logging.NONE if self._secret else command.remote.Logging.STDOUT_AND_STDERR,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*self._uploads, *after]),
            )
        else:
            step = self._container(complete_files, after)
        self.register_outputs({"address": self.address, "files_hash": self.files_hash})
        return step

    def _container(self, files: pulumi.Output[dict[str, NodeFile]], after: list[pulumi.Resource]) -> docker.Container:
        assert self._network is not None and self._image is not None

        def uploads(by_path: dict[str, NodeFile]) -> list[docker.ContainerUploadArgs]:
            return [
                docker.ContainerUploadArgs(
                    file=PATHS.staging + path,
                    content=pulumi.Output.secret(f.content) if f.secret else f.content,
                    permissions=f"{f.mode:04o}",
                )
                for path, f in sorted(by_path.items())
            ]

        return docker.Container(
            f"{self._name}-container",
            name=self._name,
            hostname=self._node.name,
            image=self._image.image_name,
            capabilities=docker.ContainerCapabilitiesArgs(adds=CAPABILITIES),
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self._network.name, ipv4_address=str(self._node.address.ip))
            ],
            # The entrypoint runs the apply script, then keeps the daemons and removes the VIPs on stop.
            command=["/usr/local/bin/ha-udp-lb-entrypoint", *commands.apply_command().split()],
            uploads=files.apply(uploads),
            restart="unless-stopped",
            # SIGTERM lets keepalived send priority 0, so the peer takes over after skew time alone.
            stop_signal="SIGTERM",
            stop_timeout=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

"""SshHost: an existing host reached over ssh, with the packages installed and a staging directory."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_command as command

from ha_udp_lb.core import commands
from ha_udp_lb.core.model import Node
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import PROJECT
from ha_udp_lb.core.render import render_teardown
from ha_udp_lb.core.templating import NodeFile

from .transport import secret_content


class SshHostArgs(TypedDict):
    node: Node
    """The node (core.model.Node); its `ssh` block says how to reach it."""
    private_key: pulumi.Input[str]
    """The private key; made a secret here if it is not one already."""
    routing: str
    """The stack's routing mode ("vrrp" or "bgp"): which daemons the install step adds."""
    host: NotRequired[pulumi.Input[str]]
    """Where to connect instead of `node.ssh.host`, when another resource gives it (a VM's public address
    from its own stack or provider). The node's `address` — what its peers and the files name — must be
    known when the program runs: every file is rendered and checked before any resource is registered."""


class SshHost(pulumi.ComponentResource):
    """Installs the daemons once and makes the staging directory every upload lands in (readable by
    `ssh.user` and root only). Every command runs as root: through `sudo -n` when `ssh.user` is not root."""

    ready: pulumi.Resource
    """The step every upload waits for."""

    def __init__(self, name: str, args: SshHostArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:SshHost", name, {}, opts)
        ssh = args["node"].ssh
        assert ssh is not None  # the model requires an ssh block for target ssh
        self._user = ssh.user
        self._connection = command.remote.ConnectionArgs(
            host=args.get("host", ssh.host),
            user=ssh.user,
            port=ssh.port,
            host_key=ssh.host_key,
            private_key=pulumi.Output.secret(args["private_key"]),
        )
        install = command.remote.Command(
            f"{name}-install",
            connection=self._connection,
            create=commands.as_root(commands.install_command(args["routing"]), ssh.user),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Made once: a staging step that ran again on a change would wipe the files whose uploads did not.
        # So its delete is the node's teardown: it runs on `pulumi destroy` or when the node leaves the
        # stack, after every upload and activation of the node is gone, and never on a config change
        # (the activation, replaced on every change, has no delete), nor while a newer staging step of
        # the node holds it (a rename or `--replace`: see commands.prepare_command).
        self.ready = command.remote.Command(
            f"{name}-staging",
            connection=self._connection,
            create=commands.as_root(commands.prepare_command(ssh.user), ssh.user),
            update=commands.as_root(commands.update_command(ssh.user), ssh.user),
            delete=commands.as_root(render_teardown(), ssh.user),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[install]),
        )
        self.register_outputs({})

    def stage(self, name: str, parent: pulumi.Resource, path: str, node_file: NodeFile) -> pulumi.Resource:
        return command.remote.CopyToRemote(
            name,
            connection=self._connection,
            source=pulumi.Output.from_input(secret_content(node_file)).apply(pulumi.StringAsset),
            remote_path=PATHS.staging + path,
            triggers=[_digest(node_file)],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[self.ready]),
        )

    def activate(
        self,
        name: str,
        parent: pulumi.Resource,
        files: dict[str, NodeFile],
        files_hash: pulumi.Output[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> pulumi.Resource:
        script = self.stage(f"{name}-apply-script", parent, PATHS.apply_script, files[PATHS.apply_script])
        secret = any(f.secret for f in files.values())
        return command.remote.Command(
            f"{name}-apply",
            connection=self._connection,
            create=commands.as_root(commands.apply_command(), self._user),
            triggers=[files_hash],
            # The rejection report can quote configuration lines (apply redacts passwords in it); when a
            # secret is in play, it stays out of the log while it runs and out of the state afterwards
            # (pulumi-command keeps stdout and stderr as plain outputs).
            logging=command.remote.Logging.NONE if secret else command.remote.Logging.STDOUT_AND_STDERR,
            opts=pulumi.ResourceOptions(
                parent=parent,
                depends_on=[script, *depends_on],
                additional_secret_outputs=["stdout", "stderr"] if secret else None,
            ),
        )


def _digest(node_file: NodeFile) -> pulumi.Input[str]:
    """A hash over a short password is as good as the password: secret whenever the file is."""
    digest = hashlib.sha256(node_file.content.encode()).hexdigest()
    return pulumi.Output.secret(digest) if node_file.secret else digest

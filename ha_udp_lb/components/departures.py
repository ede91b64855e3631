"""The nodes this deployment drops, and their teardown run before any node that stays changes.

The last deployment's nodes come from the stack's own outputs (a StackReference to itself, read
when the program runs, so that `pulumi preview` shows the teardown step too)."""

from __future__ import annotations

from typing import TypedDict

import pulumi
import pulumi_command as command
from pulumi.runtime.sync_await import _sync_await

from ha_udp_lb.core.commands import as_root
from ha_udp_lb.core.departures import SSH_HOSTS_EXPORT, departing
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT
from ha_udp_lb.core.render import render_teardown
from ha_udp_lb.core.ssh_connection import SshConnection


class LeavingNodeArgs(TypedDict):
    ssh: SshConnection
    """How the last deployment reached the node."""
    private_key: pulumi.Output[str]
    """The stack's private key, a secret."""


class LeavingNode(pulumi.ComponentResource):
    """A node the stack no longer has: its teardown, which every node that stays waits for."""

    left: pulumi.Resource
    """The teardown step."""

    def __init__(self, name: str, args: LeavingNodeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:LeavingNode", name, {}, opts)
        ssh = args["ssh"]
        connection = command.remote.ConnectionArgs(
            host=ssh.host,
            user=ssh.user,
            port=ssh.port,
            host_key=ssh.host_key,
            private_key=pulumi.Output.secret(args["private_key"]),
        )
        # Once: on the next deployment the node is in no output, so this step leaves the state, running nothing.
        self.left = command.remote.Command(
            f"{name}-leave",
            connection=connection,
            create=as_root(render_teardown(), ssh.user),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def leaving_nodes(stack: Stack, private_key: pulumi.Output[str]) -> list[LeavingNode]:
    """One LeavingNode per node the last deployment reached and this stack drops."""
    own = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    previous = _sync_await(own.get_output_details(SSH_HOSTS_EXPORT)).value
    return [
        LeavingNode(name, {"ssh": ssh, "private_key": private_key}) for name, ssh in departing(previous, stack).items()
    ]

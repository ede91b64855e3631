"""The nodes a stack's last deployment had and this one drops (pure).

Pulumi deletes what a program no longer declares only after it has updated everything else: a node
dropped from the stack would keep running until the very end, while the nodes that stay already no
longer listen to it (their new VRRP peers) — and, hearing nobody, it takes the VIPs. So the program
reads its own stack's last outputs (`sshHosts`) and tears such a node down first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .model import Stack
from .ssh_connection import SshConnection

SSH_HOSTS_EXPORT = "sshHosts"
"""The stack output that says how each node of the deployment is reached."""


def ssh_hosts(stack: Stack) -> dict[str, dict[str, Any]]:
    """The `sshHosts` output: node → its ssh block as the stack file spells it (a pinned host key too)."""
    return {
        node.name: node.ssh.model_dump(by_alias=True, exclude_none=True) for node in stack.nodes if node.ssh is not None
    }


def departing(previous: Any, stack: Stack) -> dict[str, SshConnection]:
    """The nodes `previous` (the last deployment's `sshHosts`, None before the first) reached that
    `stack` no longer has, in name order. An output of another shape names no node."""
    if not isinstance(previous, Mapping):
        return {}
    staying = {node.name for node in stack.nodes}
    leaving = {}
    for name in sorted(set(previous) - staying):
        ssh = previous[name]
        if not isinstance(ssh, Mapping):
            continue
        # Pulumi hands outputs' numbers back as floats: 22 comes back as 22.0.
        ssh = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ssh.items()}
        try:
            leaving[str(name)] = SshConnection.model_validate(ssh)
        except ValidationError:
            continue
    return leaving

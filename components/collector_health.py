"""CollectorHealth: the agent on every node that marks dead collectors down in nginx (node_agent)."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from core.model import Stack
from core.project import PROJECT
from core.render import NodeFile, render_health

from .transport import Transport, stage_per_node


class CollectorHealthArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack); each pool's `healthCheck` says how its collectors are judged."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class CollectorHealth(pulumi.ComponentResource):
    files: dict[str, dict[str, NodeFile]]
    """Node → path → file: the agent's code, its settings, its systemd unit."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of those files (none for a container, whose files ride in its creation)."""
    checked: pulumi.Output[dict[str, list[str]]]
    """Pool → the backends every node probes (pools with healthCheck.enabled: false are left out)."""

    def __init__(self, name: str, args: CollectorHealthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:CollectorHealth", name, {}, opts)
        stack = args["stack"]
        self.files = {node.name: render_health(stack, node) for node in stack.nodes}
        self.staged = stage_per_node(name, self, args["hosts"], self.files)
        self.checked = pulumi.Output.from_input(
            {p.name: [b.endpoint for b in p.backends] for p in stack.pools if p.health_check.enabled}
        )
        self.register_outputs({"checked": self.checked})

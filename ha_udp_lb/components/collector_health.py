"""CollectorHealth: the agent on every node that marks dead collectors down (node_agent)."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.compose import HEALTH, NodeFiles
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT

from .transport import Transport, stage_part


class CollectorHealthArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack); each pool's `healthCheck` says how its collectors are judged."""
    files: dict[str, NodeFiles]
    """Node → its composed files (core.compose); this component stages their `health` part."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class CollectorHealth(pulumi.ComponentResource):
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of the agent's code, its settings and its systemd unit (none for a container,
    whose files ride in its creation)."""
    checked: pulumi.Output[dict[str, list[str]]]
    """Pool → the backends every node probes (pools with healthCheck.enabled: false are left out)."""

    def __init__(self, name: str, args: CollectorHealthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:CollectorHealth", name, {}, opts)
        stack = args["stack"]
        self.staged = stage_part(name, self, args["hosts"], args["files"], HEALTH)
        self.checked = pulumi.Output.from_input(
            {p.name: [b.endpoint for b in p.backends] for p in stack.pools if p.health_check.enabled}
        )
        self.register_outputs({"checked": self.checked})

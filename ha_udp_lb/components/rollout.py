"""The rollout: every node put live one at a time, in the stack's order (with VRRP the backups before
the master), each after the node before it — a node whose apply fails stops the rollout with the nodes
after it untouched."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from ha_udp_lb.core.compose import NodeFiles
from ha_udp_lb.core.model import Stack

from .lb_node import LbNode
from .transport import Stager, Transport


def roll_out(
    stack: Stack,
    files: dict[str, NodeFiles],
    hosts: dict[str, Transport],
    stagers: Sequence[Stager],
    after: Sequence[pulumi.Resource] = (),
) -> dict[str, LbNode]:
    """One LbNode per node of `stack`, in rollout order: each activates once every stager's uploads to
    it are done and the node before it is live (the first, once `after` is done); node name → LbNode."""
    nodes: dict[str, LbNode] = {}
    previous = list(after)
    for node in stack.rollout_order():
        nodes[node.name] = LbNode(
            node.name,
            {
                "node": node,
                "files": files[node.name],
                "transport": hosts[node.name],
                "staged": [upload for stager in stagers for upload in stager.staged[node.name]],
                "after": previous,
            },
        )
        previous = [nodes[node.name].activated]
    return nodes

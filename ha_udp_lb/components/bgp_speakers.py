"""BgpSpeakers: FRR on every node announcing every VIP to the routers on the node's subnet, the health
agent deciding when (routing: bgp)."""

from __future__ import annotations

from typing import TypedDict

import pulumi

from ha_udp_lb.core.compose import BGP, NodeFiles
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT

from .transport import Transport, stage_part


class BgpSpeakersArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack), its routing bgp."""
    files: dict[str, NodeFiles]
    """Node → its composed files (core.compose); this component stages their `bgp` part."""
    hosts: dict[str, Transport]
    """How files reach each node, by node name."""


class BgpSpeakers(pulumi.ComponentResource):
    vips: pulumi.Output[list[str]]
    """Every VIP as the host route the nodes announce (address/32)."""
    sessions: pulumi.Output[dict[str, dict[str, object]]]
    """Node → its BGP sessions: its own address, AS, and each router it peers with (address, AS); on
    the node, `vtysh -c 'show bgp summary json'` gives their state."""
    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads of FRR's config and daemons, the sysctls and FRR's restart drop-in."""

    def __init__(self, name: str, args: BgpSpeakersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:BgpSpeakers", name, {}, opts)
        stack = args["stack"]
        assert stack.bgp is not None  # routing bgp has its block (core.routing_checks)
        self.staged = stage_part(name, self, args["hosts"], args["files"], BGP)
        self.vips = pulumi.Output.from_input([f"{vip.address.ip}/32" for vip in stack.vips])
        sessions: dict[str, dict[str, object]] = {
            node.name: {
                "address": str(node.address.ip),
                "asn": stack.bgp.asn,
                "peers": [{"address": str(p.address), "asn": p.asn} for p in stack.peers_of(node)],
            }
            for node in stack.nodes
        }
        self.sessions = pulumi.Output.from_input(sessions)
        self.register_outputs({"vips": self.vips, "sessions": self.sessions})

"""What the health agent needs to own a node's announcement of its VIPs with `routing: bgp`
(node_agent.announce): which VIPs, how to tell the plane can serve, where a drain is asked for."""

from __future__ import annotations

from typing import Any

from .model import Stack
from .paths import PATHS


def announce_settings(stack: Stack) -> dict[str, Any] | None:
    """What the health agent needs to own the announcement (node_agent.announce), or None with VRRP."""
    if stack.routing != "bgp":
        return None
    assert stack.bgp is not None  # checked: routing bgp needs its block
    return {
        "vips": [str(vip.address.ip) for vip in stack.vips],
        "table": PATHS.kernel_table,
        "drain_file": PATHS.drain_file,
        "state_file": PATHS.announced,
        "forwarding": ["/proc/sys/net/ipv4/ip_forward"],
        "realtime": [PATHS.bfdd_pid],
        "routers": sorted({str(peer.address) for peer in stack.bgp.peers}),
    }

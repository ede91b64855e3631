"""What the health agent reports on besides collector health (node_agent.facts): the VIPs and their VRRP
roles, what each pool took in and sent each collector, what the node dropped, which deployment it runs,
and where it serves all of it (`metrics`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .model import Node, Stack
from .paths import PATHS
from .procnet import proc_net_local_address
from .render_kernel import kernel_id


def report_settings(stack: Stack, node: Node, agent: Mapping[str, str]) -> dict[str, Any]:
    return {
        "serve": {"address": str(node.address.ip), "port": stack.metrics.port} if stack.metrics.enabled else None,
        "deployment": deployment_digest(stack, agent),
        "vips": [
            {
                "vip": str(vip.address.ip),
                "instance": f"VI_{vip.vrid}" if stack.routing == "vrrp" else None,
                "preferred": stack.routing == "vrrp" and stack.preferred_node(vip) is node,
            }
            for vip in stack.vips
        ],
        "roles": PATHS.vrrp_roles,
        "routers": [str(peer.address) for peer in stack.peers_of(node)],
        "counted": [
            {"pool": pool.name, "id": kernel_id(pool.name), "collectors": [b.endpoint for b in pool.backends]}
            for pool in stack.pools
        ],
        "sockets": {pool.name: proc_net_local_address(pool.vip, pool.port) for pool in stack.pools_on("nginx")},
    }


def deployment_digest(stack: Stack, agent: Mapping[str, str]) -> str:
    """The same on every node deployed from one config and one version of the agent: two digests at once
    in a stack are nodes left behind (a rollout stopped half-way, a node restored from an old image).
    Secrets stay out (SecretStr dumps masked): the digest is a plain metric label."""
    digest = hashlib.sha256(stack.model_dump_json(by_alias=True).encode())
    for relative, source in sorted(agent.items()):
        digest.update(f"\0{relative}\0{source}".encode())
    return digest.hexdigest()[:16]

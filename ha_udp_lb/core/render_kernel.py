"""The node's one nftables table (templates/kernel.nft.j2), on every node: what each pool admits and
how fast (core.admission), the kernel plane's stateless rewrite for its pools, and a forward chain
that passes nothing but those rewritten datagrams — a node routes for no one else."""

from __future__ import annotations

from typing import Any

from ha_udp_lb import slot_table as slots

from .model import Node, Pool, Stack
from .paths import PATHS
from .templating import NodeFile, render_template

FORWARD_REFUSED = "forward_refused"
"""The counter of what the forward chain drops: anything routed through the node that no pool rewrote."""
TEMPLATE_LOG_GROUP = 2055
"""The nfnetlink_log group that carries template packets to the agent (node_agent.template_log)."""
REPLAY_DEVICE = "hulb-replay"
"""The agent's TUN device: replayed templates enter the node there (node_agent.replay_device)."""
TEMPLATE_SHARE_PORT = 7955
"""UDP, between the nodes' own addresses: each node's agent shares the templates it sees (node_agent.template_share)."""


def render_kernel(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """The table: every pool's guards, the kernel pools' maps and rewrite, the forward chain."""
    content = render_template(
        "kernel.nft.j2",
        table=PATHS.kernel_table,
        guards=[guard for pool in stack.pools if (guard := pool_guard(stack, pool))["allowed"] or guard["rate"]],
        pools=[kernel_pool(p) for p in stack.pools_on("kernel")],
        nginx_pools=[counted_pool(p) for p in stack.pools_on("nginx")],
        template_pools=template_pools(stack),
        template_group=TEMPLATE_LOG_GROUP,
        replay_device=REPLAY_DEVICE,
        forward_refused=FORWARD_REFUSED,
        node=node,
    )
    return {PATHS.kernel_ruleset: NodeFile(content, 0o644)}


def pool_guard(stack: Stack, pool: Pool) -> dict[str, Any]:
    """What a pool admits: its source prefixes (of its VIP's family) and each exporter's rate."""
    admitted = stack.admitted(pool)
    rate = pool.rate_limit
    return {
        "name": pool.name,
        "id": kernel_id(pool.name),
        "family": _family(pool),
        "vip": pool.vip,
        "port": pool.port,
        "allowed": [str(p) for p in admitted if p.version == pool.vip.version] if admitted else [],
        "rate": {"per_second": rate.per_second, "burst": rate.burst_datagrams} if rate else None,
    }


def template_pools(stack: Stack) -> list[dict[str, Any]]:
    """The pools whose exporters' templates the node keeps and replays."""
    return [
        {
            "name": p.name,
            "vip": str(p.vip),
            "port": p.port,
            "plane": p.data_plane,
            "options_set": f"{kernel_id(p.name)}_options",
            "collectors": [[str(b.address), b.port] for b in p.backends],
        }
        for p in stack.pools
        if p.replays_templates
    ]


def guard_counters(stack: Stack) -> dict[str, dict[str, str]]:
    """Pool → cause (`source`, `rate`) → the counter that counts its drops: what the agent reports."""
    counters: dict[str, dict[str, str]] = {}
    for pool in stack.pools:
        guard = pool_guard(stack, pool)
        causes = {"source": f"{guard['id']}_refused"} if guard["allowed"] else {}
        causes |= {"rate": f"{guard['id']}_limited"} if guard["rate"] else {}
        if causes:
            counters[pool.name] = causes
    return counters


def kernel_pool(pool: Pool) -> dict[str, Any]:
    """What the ruleset says of one kernel pool: its maps filled for every collector healthy."""
    endpoints, weights = [b.endpoint for b in pool.backends], [b.weight for b in pool.backends]
    size = slots.table_size(weights)
    base = slots.base_table(endpoints, weights, size)
    family = _family(pool)

    def lines(values: list[str]) -> list[str]:
        entries = [f"{slot} : {value}," for slot, value in enumerate(values)]
        return [" ".join(entries[i : i + 8]) for i in range(0, len(entries), 8)]

    return {
        "name": pool.name,
        "id": kernel_id(pool.name),
        "vip": pool.vip,
        "port": pool.port,
        "family": family,
        "size": size,
        "seed": f"0x{slots.seed(pool.name):08x}",
        "key": f"{family} saddr" + (" . udp sport" if pool.hash_key.endswith("$remote_port") else ""),
        "backends": pool.backends,
        "addr_lines": lines([str(pool.backends[b].address) for b in base]),
        "port_lines": lines([str(pool.backends[b].port) for b in base]),
    }


def counted_pool(pool: Pool) -> dict[str, Any]:
    """An nginx pool, as the table counts it: datagrams in to its VIP, out to each collector."""
    return {
        "name": pool.name,
        "id": kernel_id(pool.name),
        "vip": pool.vip,
        "port": pool.port,
        "family": _family(pool),
        "backends": pool.backends,
    }


def kernel_id(pool_name: str) -> str:
    """The pool's name as nftables spells its maps, sets and counters."""
    return "p_" + pool_name.replace("-", "_")


def _family(pool: Pool) -> str:
    return "ip" if pool.vip.version == 4 else "ip6"

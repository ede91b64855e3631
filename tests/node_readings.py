"""What the lab's tests read off a lab: a pool and the node that holds its VIP, the project's table's
counters and an agent's metrics."""

from __future__ import annotations

import json
import time

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.host.control import node_sh
from ha_udp_lb.lab.host.state import LabState, NodeState, PoolState


def pool(state: LabState, name: str) -> PoolState:
    return next(p for p in state.pools if p.name == name)


def master(state: LabState, pool_name: str) -> NodeState:
    """The node preferred for the pool's VIP: its holder while every node is well."""
    vip = pool(state, pool_name).vip
    return state.node(next(v.preferred for v in state.vips if v.address.split("/")[0] == vip))


def table_counter(state: LabState, name: str) -> int:
    """Packets the project's table counted under `name`, summed over every node (whichever held the VIP)."""
    total = 0
    for node in state.nodes:
        listing = node_sh(node, f"nft -j list counters table inet {PATHS.kernel_table}", timeout=10).stdout
        found = (item["counter"] for item in json.loads(listing)["nftables"] if "counter" in item)
        total += sum(int(c["packets"]) for c in found if c["name"] == name)
    return total


def metric(node: NodeState, series: str, wait_s: float = 5, until: float | None = None) -> float | None:
    """The value `node`'s agent reports for `series` (`name{labels}`) in its metrics file, once it reports
    one (and, with `until`, once it is that value); None if it never does within `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        text = node_sh(node, f"cat {PATHS.metrics}", timeout=10).stdout
        values = [float(row.rsplit(" ", 1)[1]) for row in text.splitlines() if row.startswith(series + " ")]
        if (values and (until is None or values[0] == until)) or time.monotonic() > deadline:
            return values[0] if values else None
        time.sleep(0.2)

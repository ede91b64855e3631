"""What the lab's tests read off a lab: a pool and the node that holds its VIP, the project's table's
counters, an agent's metrics, and which collector each exporter's datagrams reach."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.counts import endpoint
from ha_udp_lb.lab.host.control import node_sh, received_others
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


def arrivals(state: LabState, pool_name: str, count: int) -> dict[str, set[str]]:
    """Every exporter sends `count` datagrams to the pool (lab.agents.senders, one process per exporter
    namespace): the collectors (`address:port`) each exporter's new datagrams reached."""
    target = pool(state, pool_name)
    seen = {b.address: len(received_others(b)) for b in state.backends}
    by_namespace = defaultdict(list)
    for exporter in state.exporters:
        by_namespace[exporter.netns].append(exporter.address)
    module = "ha_udp_lb.lab.agents.senders"
    senders = [
        subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", module, f"{target.vip}:{target.port}", str(count), *ours],
            cwd=REPO,
        )
        for ns, ours in by_namespace.items()
    ]
    for sender in senders:
        assert sender.wait(timeout=60) == 0
    time.sleep(1.2)  # the sinks write what they received each second
    reached: dict[str, set[str]] = defaultdict(set)
    for backend in state.backends:
        for datagram in received_others(backend)[seen[backend.address] :]:
            if datagram["port"] in {port for _, port in target.backends}:
                reached[str(datagram["sender"]).rpartition(":")[0]].add(endpoint(datagram))
    return dict(reached)

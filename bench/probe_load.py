"""How many probe datagrams the health agents send each collector host, per second per LB node, at the
stack's settings: read off the agents' own counters (ha_udp_lb_probes_sent_total) over a window.

Usage (root, no lab up): venv/bin/python bench/probe_load.py [SECONDS] [STACK]"""

from __future__ import annotations

import json
import re
import sys
import time

from ha_udp_lb.lab.host.control import node_sh
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import NodeState

COUNTER = re.compile(r'ha_udp_lb_probes_sent_total\{host="([^"]+)",kind="(\w+)"\} (\d+)')


def sent(node: NodeState) -> dict[str, int]:
    metrics = node_sh(node, "cat /var/lib/prometheus/node-exporter/ha-udp-lb.prom").stdout
    totals: dict[str, int] = {}
    for host, _kind, count in COUNTER.findall(metrics):
        totals[host] = totals.get(host, 0) + int(count)
    return totals


def main(seconds: float, stack: str) -> None:
    down()
    state = up(stack)
    try:
        time.sleep(2)
        before = {node.name: sent(node) for node in state.nodes}
        time.sleep(seconds)
        after = {node.name: sent(node) for node in state.nodes}
    finally:
        down()
    rates = {
        node: {host: round((count - before[node].get(host, 0)) / seconds, 2) for host, count in totals.items()}
        for node, totals in after.items()
    }
    print(json.dumps({"stack": stack, "seconds": seconds, "datagrams_per_s": rates}, indent=2))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0, sys.argv[2] if len(sys.argv) > 2 else "dev")

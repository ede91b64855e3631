"""What the nodes count per collector against what the collectors received, over a 30 s run: the dev
stack in the lab on each data plane, every exporter sending 100 datagrams/s to the netflow and syslog
pools (lab.agents.flood), the agents' `ha_udp_lb_collector_datagrams_total` summed over the nodes before
and after, against the non-empty datagrams each collector's sink recorded.

Usage (root, no lab up): venv/bin/python bench/counts.py [SECONDS] [EXPORTERS]"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.counts import counted_by_nodes, received_by_collectors
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState

POOLS, RATE = ("netflow", "syslog"), 100
PLANES = {"kernel": {"dataPlane": "kernel"}, "nginx-transparent": {"dataPlane": "nginx", "source": "transparent"}}


def run(state: LabState, seconds: float) -> dict[str, object]:
    before, got_before = counted_by_nodes(state), received_by_collectors(state)
    senders = []
    for index, exporter in enumerate(state.exporters):
        for pool in (p for p in state.pools if p.name in POOLS):
            argv = [
                sys.executable,
                "-m",
                "ha_udp_lb.lab.agents.flood",
                exporter.address,
                f"{pool.vip}:{pool.port}",
                str(1000 + index),
                str(int(RATE * seconds)),
                str(seconds),
            ]
            senders.append(subprocess.Popen(["ip", "netns", "exec", exporter.netns, *argv], cwd=REPO))
    for sender in senders:
        sender.wait(timeout=seconds + 60)
    time.sleep(3)
    nodes, collectors = counted_by_nodes(state) - before, received_by_collectors(state) - got_before
    sent = len(state.exporters) * len(POOLS) * int(RATE * seconds)
    worst = max(abs(nodes[c] - n) / n for c, n in collectors.items())
    per = {c: {"nodes_counted": nodes[c], "received": n} for c, n in sorted(collectors.items())}
    return {
        "sent": sent,
        "received": sum(collectors.values()),
        "worst_difference_percent": round(100 * worst, 3),
        "collectors": per,
    }


def main(seconds: float, exporters: int) -> None:
    results = {}
    for plane, overrides in PLANES.items():
        down()
        state = up("dev", exporters=exporters, overrides=overrides)
        try:
            time.sleep(2)
            results[plane] = run(state, seconds)
        finally:
            down()
    json.dump(
        {"seconds": seconds, "exporters": exporters, "rate_per_pool": RATE, "results": results}, sys.stdout, indent=1
    )
    print()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0, int(sys.argv[2]) if len(sys.argv) > 2 else 8)

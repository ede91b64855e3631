"""What observing a node costs it: the health agent's CPU (its process's utime + stime) over a window
with nobody scraping, then scraped every 5 s and every 1 s over HTTP as Prometheus would (each scrape a
new connection, the whole text read), and the size of what one scrape carries. The dev stack in the lab
on each data plane; 4 exporters send nothing (the agent's work does not grow with traffic).

Usage (root, no lab up): venv/bin/python bench/scrape_cost.py [SECONDS]"""

from __future__ import annotations

import json
import os
import sys
import time

from ha_udp_lb.core.metrics_settings import METRICS_PORT
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.host.control import node_sh
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, NodeState

SCRAPE = """
import sys, time, urllib.request
url, every, until = sys.argv[1], float(sys.argv[2]), time.monotonic() + float(sys.argv[3])
size = 0
while time.monotonic() < until:
    with urllib.request.urlopen(url, timeout=2) as answer:
        size = len(answer.read())
    time.sleep(every)
print(size)
"""
TICKS = os.sysconf("SC_CLK_TCK")


def agent_cpu_s(node: NodeState) -> float:
    """The agent's CPU seconds so far, read inside the node (its pid file names the process there)."""
    stat = node_sh(node, f"cat /proc/$(cat {PATHS.health_pid})/stat").stdout
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def window(state: LabState, seconds: float, every: float | None) -> dict[str, object]:
    node = state.nodes[0]
    before, started = agent_cpu_s(node), time.monotonic()
    size = 0
    if every is None:
        time.sleep(seconds)
    else:
        url = f"http://{node.address}:{METRICS_PORT}/metrics"
        said = node_sh(node, f"python3 -c '{SCRAPE}' {url} {every} {seconds}", timeout=seconds + 30)
        size = int(said.stdout.strip() or 0)
    spent, elapsed = agent_cpu_s(node) - before, time.monotonic() - started
    percent = round(100 * spent / elapsed, 3)
    return {
        "scrape_every_s": every,
        "seconds": round(elapsed, 1),
        "agent_cpu_percent_of_a_core": percent,
        "scrape_bytes": size,
    }


def main(seconds: float) -> None:
    results = {}
    for plane in ("kernel", "nginx"):
        down()
        state = up("dev", overrides={"dataPlane": plane})
        try:
            time.sleep(3)
            results[plane] = [window(state, seconds, every) for every in (None, 5.0, 1.0)]
        finally:
            down()
    json.dump({"what": __doc__.split("\n\n")[0], "results": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)

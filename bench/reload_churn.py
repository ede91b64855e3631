"""keepalived reloaded on every node, again and again, nothing else happening: how often does a look at
the VIPs find one held by no node or by two? (0 is the only right answer; with `vrrp_rt_priority` in
ha_udp_lb/templates/keepalived.conf.j2, keepalived 2.2.7's VRRP child was killed on every reload: BENCHMARKS.md.)

Usage (root, no lab up): venv/bin/python bench/reload_churn.py [RELOADS] [STACK]"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.host.control import holders, node_sh
from ha_udp_lb.lab.host.site import down, up

WATCH_S = 1.5
LOOK_EVERY_S = 0.05


def main() -> None:
    reloads = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    stack = sys.argv[2] if len(sys.argv) > 2 else "dev"
    state = up(stack)
    try:
        looks, wrong = 0, 0
        for _ in range(reloads):
            for node in state.nodes:
                node_sh(node, f"kill -HUP $(cat {PATHS.keepalived_pid})")
            until = time.monotonic() + WATCH_S
            while time.monotonic() < until:
                looks += 1
                wrong += any(len(nodes) != 1 for nodes in holders(state).values())
                time.sleep(LOOK_EVERY_S)
        print(
            json.dumps({"stack": stack, "reloads": reloads, "looks": looks, "looks_with_a_vip_on_0_or_2_nodes": wrong})
        )
    finally:
        down()


if __name__ == "__main__":
    main()

"""What dropping a node from the stack costs when it is done in one `pulumi up` (the program tears it
down first, ha_udp_lb/components/departures.py), against a targeted destroy first. On booted hosts over SSH: three
nodes deployed, lb2 (master of the second VIP) dropped, every VIP's holders sampled every 10 ms
throughout; per trial the time any VIP had two holders. Root, no lab up.

    venv/bin/python bench/node_drop.py [--suite bookworm] [--trials 5] > bench/summaries/node-drop.json"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ha_udp_lb.lab.host.control import holders
from ha_udp_lb.lab.host.site import down, wait_settled
from ha_udp_lb.lab.host.state import LabState
from ha_udp_lb.lab.hosts import site
from ha_udp_lb.lab.hosts.site import HostsLab, without_node
from ha_udp_lb.runner.stackfile import stack_config

LEAVING = "lb2"


def split_ms(state: LabState, work: Any) -> float:
    """Ms during which some VIP had two holders while `work()` ran (and 3 s after)."""
    samples: list[tuple[float, bool]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.monotonic(), any(len(n) > 1 for n in holders(state).values())))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        work()
        time.sleep(3)
    finally:
        done.set()
        sampler.join()
    return sum((b[0] - a[0]) * 1000 for a, b in pairwise(samples) if a[1])


def trial(lab: HostsLab, one_step: bool) -> float:
    lab.up(stack_config("hosts"))
    wait_settled(lab.state)

    def drop() -> None:
        if not one_step:
            lab.destroy({lab.urn(f"{LEAVING}-staging")})
        lab.up(without_node(stack_config("hosts"), LEAVING))

    return round(split_ms(lab.state, drop), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    down()
    lab = site.up("hosts", args.suite, exporters=1)
    try:
        result = {
            "suite": args.suite,
            "one pulumi up (node dropped from the stack)": [trial(lab, True) for _ in range(args.trials)],
            "targeted destroy, then pulumi up": [trial(lab, False) for _ in range(args.trials)],
        }
    finally:
        down()
    print(json.dumps({"split_brain_ms": result}, indent=2))


if __name__ == "__main__":
    main()

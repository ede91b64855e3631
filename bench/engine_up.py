"""What the real Pulumi engine costs on the hosts stack (3 booted Debian hosts over SSH): the time of a
first `pulumi up`, of an `up` with nothing changed, of `pulumi destroy`, and how many SSH connections one
`up` opens per host and how many sshd refuses (MaxStartups 10:30:100, Debian's default), at the engine's
default parallelism here (4 per CPU) and at what a 16-CPU machine would use (64). Root, no lab up.

    venv/bin/python bench/engine_up.py [--suite bookworm] [--trials 3] > bench/summaries/engine-up.json"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ha_udp_lb.lab.host.control import ssh_drops, ssh_logins
from ha_udp_lb.lab.host.site import down, wait_settled
from ha_udp_lb.lab.hosts import site
from ha_udp_lb.lab.hosts.site import HostsLab


def connections(lab: HostsLab) -> dict[str, tuple[int, int]]:
    """Per host: SSH logins accepted and connections dropped past MaxStartups, since it booted."""
    return {n.name: (ssh_logins(n), ssh_drops(n)) for n in lab.state.nodes}


def timed(work: Any) -> tuple[float, Any]:
    start = time.monotonic()
    result = work()
    return round(time.monotonic() - start, 1), result


def cycle(lab: HostsLab, parallel: int) -> dict[str, Any]:
    assert lab.engine is not None
    lab.engine.parallel = parallel
    before = connections(lab)
    first_s, first = timed(lab.up)
    wait_settled(lab.state)
    after = connections(lab)
    noop_s, noop = timed(lab.up)
    destroy_s, _ = timed(lab.destroy)
    return {
        "parallel": parallel,
        "first_up_s": first_s,
        "steps": len(first.ran()),
        "noop_up_s": noop_s,
        "noop_steps": len(noop.ran()),
        "destroy_s": destroy_s,
        "logins_per_host": {h: after[h][0] - before[h][0] for h in after},
        "maxstartups_drops_per_host": {h: after[h][1] - before[h][1] for h in after},
        "dial_retries": first.output.count("failed: retrying"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    down()
    lab = site.up("hosts", args.suite, exporters=1)
    try:
        # The very first `up` installs the packages (from the lab's apt proxy); every `up` after a destroy
        # finds them there, as a node that leaves and joins again does.
        fresh_s, _ = timed(lab.up)
        lab.destroy()
        trials = [cycle(lab, parallel) for parallel in (4 * (os.cpu_count() or 1), 64) for _ in range(args.trials)]
    finally:
        down()
    summary = {
        str(p): {
            key: statistics.median(t[key] for t in trials if t["parallel"] == p)
            for key in ("first_up_s", "noop_up_s", "destroy_s")
        }
        for p in {t["parallel"] for t in trials}
    }
    report = {"suite": args.suite, "nodes": 3, "fresh_first_up_s": fresh_s, "trials": trials, "median": summary}
    json.dump(report, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

"""routing bgp in the routed lab: the drills at several BFD intervals (how failover depends on BFD), and
a soak with both cores saturated (spurious withdrawals at an interval), and the drills on booted
Debian hosts (lb1 and lb2 of the bgp stack, deployed over SSH). Summaries go to bench/summaries/bgp/
(BENCHMARKS.md, "BGP and ECMP"); each trial's report stays under out/drills/.

Usage (root, no lab up):
  venv/bin/python bench/bgp.py drills TRIALS BFD_MS[,BFD_MS…] SCENARIO[,SCENARIO…]|all
  venv/bin/python bench/bgp.py soak SECONDS BFD_MS
  venv/bin/python bench/bgp.py hosts TRIALS SUITE"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.paths import PATHS
from lab.drill.run import DRILLS_DIR
from lab.host.control import node_sh
from lab.host.site import down
from lab.routed import router
from lab.routed.host_scenarios import HOST_DRILLS, two_nodes
from lab.routed.run import drill_line, run
from lab.routed.scenarios import ROUTED_SCENARIOS
from lab.routed.site import up, up_on_hosts, wait_announced

SUMMARIES = Path(__file__).resolve().parent / "summaries" / "bgp"
STACK = "bgp"


def drills(trials: int, intervals: list[int], names: list[str]) -> None:
    for interval in intervals:
        state = up(STACK, bfd_ms=interval)
        try:
            for name in names:
                print(f"== BFD {interval} ms x 3, {name}", flush=True)
                summary = run(state, ROUTED_SCENARIOS[name], trials, 200.0, DRILLS_DIR / f"bgp-bfd{interval}-{name}")
                print(drill_line(summary), flush=True)
                summary.pop("per_trial")
                _save(f"bfd{interval}-{name}.json", {"bfd_ms": interval, **summary})
        finally:
            down()


def hosts(trials: int, suite: str) -> None:
    """The drills tests/test_hosts_bgp.py runs once, `trials` times each on booted `suite` hosts."""
    config = two_nodes(STACK)
    lab = up_on_hosts(STACK, suite, exporters=24, config=config)
    try:
        lab.up(config)
        wait_announced(lab.state, [n.address for n in lab.state.nodes])
        for scenario in HOST_DRILLS:
            print(f"== {suite} hosts, {scenario.name}", flush=True)
            summary = run(lab.state, scenario, trials, 200.0, DRILLS_DIR / f"bgp-hosts-{suite}-{scenario.name}")
            print(drill_line(summary), flush=True)
            summary.pop("per_trial")
            _save(f"hosts-{suite}-{scenario.name}.json", {"suite": suite, **summary})
    finally:
        down()


def soak(seconds: float, interval: int) -> None:
    started = time.time()
    state = up(STACK, bfd_ms=interval)
    assert state.router is not None
    burners: list[subprocess.Popen[bytes]] = []
    try:
        spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
        burners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range((os.cpu_count() or 2) + 1)]
        everyone = sorted(n.address for n in state.nodes)
        vip, left, polls = state.vips[0].address, 0, 0
        previous = router.nexthops(state.router, vip)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.02)
            current = router.nexthops(state.router, vip)
            left += len(set(previous) - set(current))
            previous, polls = current, polls + 1
        neighbors = router.vtysh(state.router, "show bgp neighbors json")
        dropped = (
            {peer: info.get("connectionsDropped") for peer, info in neighbors.items()}
            if isinstance(neighbors, dict)
            else {}
        )
        counters = router.vtysh(state.router, "show bfd peers counters json")
        peers = [peer for peer in counters if isinstance(peer, dict)] if isinstance(counters, list) else []
        peers_now = router.vtysh(state.router, "show bfd peers json")
        last_downs = {
            peer["peer"]: {key: peer.get(key) for key in ("status", "uptime", "diagnostic", "remote-diagnostic")}
            for peer in (peers_now if isinstance(peers_now, list) else [])
        }
        policies = [node_sh(node, f"chrt -p $(cat {PATHS.bfdd_pid})").stdout for node in state.nodes]
        result = {
            "bfd_ms": interval,
            "bfdd_realtime": all("SCHED_RR" in policy for policy in policies),
            "seconds": seconds,
            "burners": len(burners),
            "polls": polls,
            "nodes_withdrawn": left,
            "bfd_sessions": len(peers),
            "bfd_session_downs": sum(int(peer["session-down"]) for peer in peers),
            "bfd_session_ups": sum(int(peer["session-up"]) for peer in peers),
            "bgp_connections_dropped": dropped,
            "bfd_at_end": last_downs,
            "nexthops_at_end": previous == everyone,
        }
        print(json.dumps(result), flush=True)
        _save(f"soak-bfd{interval}-{int(seconds)}s-{time.strftime('%Y%m%d-%H%M', time.gmtime(started))}.json", result)
    finally:
        for burner in burners:
            burner.kill()
        down()


def _save(name: str, data: dict[str, Any]) -> None:
    SUMMARIES.mkdir(parents=True, exist_ok=True)
    (SUMMARIES / name).write_text(json.dumps(data, indent=2) + "\n")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "drills":
        names = list(ROUTED_SCENARIOS) if sys.argv[4] == "all" else sys.argv[4].split(",")
        drills(int(sys.argv[2]), [int(ms) for ms in sys.argv[3].split(",")], names)
    elif len(sys.argv) == 4 and sys.argv[1] == "soak":
        soak(float(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "hosts":
        hosts(int(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

"""routing bgp in the routed lab: the drills at several BFD intervals (how failover depends on BFD), and
a soak with both cores saturated (spurious withdrawals at an interval), and the drills on booted
Debian hosts (lb1 and lb2 of the bgp stack, deployed over SSH). Summaries go to bench/summaries/bgp/
(BENCHMARKS.md, "BGP and ECMP"); each trial's report stays under out/drills/.

Usage (root, no lab up; BFD is an interval in ms, times 3, or INTERVALxMULTIPLIER: 20, 10x7; either
after `bird:` for the lab's router as BIRD 2 instead of FRR: bird:20x6):
  venv/bin/python bench/bgp.py drills TRIALS BFD[,BFD…] SCENARIO[,SCENARIO…]|all
  venv/bin/python bench/bgp.py soak SECONDS BFD [FREEZE_MS]   (FREEZE_MS: bench/flight_recorder.py's
      trace of every CPU, stopped by the first stall that long, to bench/raw/bgp-trace-*.txt)
  venv/bin/python bench/bgp.py stalls SECONDS BURNERS   (no lab: the machine's own stalls under load)
  venv/bin/python bench/bgp.py hosts TRIALS SUITE"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from busy_loops import busy_loops
from flight_recorder import flight_recorder

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.drill.run import DRILLS_DIR
from ha_udp_lb.lab.host.control import node_sh
from ha_udp_lb.lab.host.site import down
from ha_udp_lb.lab.host.state import RouterState
from ha_udp_lb.lab.routed import frr_router
from ha_udp_lb.lab.routed.fib_watch import FibWatch
from ha_udp_lb.lab.routed.host_scenarios import HOST_DRILLS, two_nodes
from ha_udp_lb.lab.routed.run import drill_line, run
from ha_udp_lb.lab.routed.scenarios import ROUTED_SCENARIOS
from ha_udp_lb.lab.routed.site import up, up_on_hosts, wait_announced

SUMMARIES = Path(__file__).resolve().parent / "summaries" / "bgp"
BENCH_RAW = Path(__file__).resolve().parent / "raw"
STACK = "bgp"


def drills(trials: int, settings: list[tuple[str, int, int]], names: list[str]) -> None:
    for daemon, interval, multiplier in settings:
        state = up(STACK, bfd_ms=interval, bfd_multiplier=multiplier, router_daemon=daemon)
        try:
            for name in names:
                print(f"== {daemon} router, BFD {interval} ms x {multiplier}, {name}", flush=True)
                label = _label(daemon, interval, multiplier)
                summary = run(state, ROUTED_SCENARIOS[name], trials, 200.0, DRILLS_DIR / f"bgp-{label}-{name}")
                print(drill_line(summary), flush=True)
                summary.pop("per_trial")
                _save(
                    f"{label}-{name}.json",
                    {"router": daemon, "bfd_ms": interval, "bfd_multiplier": multiplier, **summary},
                )
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


def soak(seconds: float, daemon: str, interval: int, multiplier: int, freeze_ms: float | None = None) -> None:
    started = time.time()
    state = up(STACK, bfd_ms=interval, bfd_multiplier=multiplier, router_daemon=daemon)
    assert state.router is not None
    burners = (os.cpu_count() or 2) + 1
    try:
        everyone = sorted(n.address for n in state.nodes)
        trace = BENCH_RAW / f"bgp-trace-{_stamp(started)}.txt"
        with (
            flight_recorder(trace) if freeze_ms else contextlib.nullcontext(),
            _saturated(seconds, burners, freeze_ms) as stalls,
            FibWatch(state.router, state.vips[0].address) as fib,
        ):
            time.sleep(seconds)
        withdrawals = _withdrawals(fib.changes, stalls)
        policies = [node_sh(node, f"chrt -p $(cat {PATHS.bfdd_pid})").stdout for node in state.nodes]
        result = {
            "router": daemon,
            "bfd_ms": interval,
            "bfd_multiplier": multiplier,
            "bfdd_realtime": all("SCHED_RR" in policy for policy in policies),
            "seconds": seconds,
            "burners": burners,
            "nodes_withdrawn": sum(len(w["left"]) for w in withdrawals),
            "withdrawals": withdrawals,
            **(_frr_counters(state.router) if daemon == "frr" else {}),
            **_stall_summary(stalls),
            "nexthops_at_end": fib.changes[-1][1] == everyone,
        }
        print(json.dumps(result), flush=True)
        _save(f"soak-{_label(daemon, interval, multiplier)}-{int(seconds)}s-{_stamp(started)}.json", result)
    finally:
        down()


def stalls(seconds: float, burners: int) -> None:
    """The stall probes alone, no lab: whether this machine stalls every CPU at once by itself."""
    started = time.time()
    with _saturated(seconds, burners) as seen:
        time.sleep(seconds)
    result = {"seconds": seconds, "burners": burners, "lab": False, **_stall_summary(seen)}
    print(json.dumps(result), flush=True)
    _save(f"stalls-{burners}burners-{int(seconds)}s-{_stamp(started)}.json", result)


@contextlib.contextmanager
def _saturated(seconds: float, burners: int, freeze_ms: float | None = None) -> Iterator[list[dict[str, Any]]]:
    """`burners` busy loops and a stall probe on every CPU for `seconds`; yields the list the probes'
    late wakes land in (filled, in time order, on leaving)."""
    probe = [sys.executable, str(Path(__file__).parent / "stall_probe.py")]
    probes = [
        subprocess.Popen(
            [*probe, str(cpu), str(seconds), "10", *([str(freeze_ms)] if freeze_ms else [])],
            stdout=subprocess.PIPE,
            text=True,
        )
        for cpu in range(os.cpu_count() or 2)
    ]
    seen: list[dict[str, Any]] = []
    try:
        with busy_loops(seconds, burners):
            yield seen
            seen += sorted(
                (json.loads(line) for p in probes for line in p.communicate()[0].splitlines()),
                key=lambda s: s["at_ns"],
            )
    finally:
        for process in probes:
            process.kill()


def _stall_summary(stalls: list[dict[str, Any]]) -> dict[str, Any]:
    """How often every CPU was late at once (late wakes on different CPUs within 5 ms of each other),
    and the worst late wakes."""
    at_once, last = 0, None
    for stall in stalls:
        if last is not None and stall["cpu"] != last["cpu"] and stall["at_ns"] - last["at_ns"] < 5_000_000:
            at_once, last = at_once + 1, None
        else:
            last = stall
    return {
        "late_wakes_over_10ms": len(stalls),
        "late_wakes_over_30ms": sum(s["late_ms"] > 30 for s in stalls),
        "every_cpu_late_at_once": at_once,
        "worst_late_wakes": sorted(stalls, key=lambda s: -s["late_ms"])[:10],
    }


def _withdrawals(changes: list[tuple[int, list[str]]], stalls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each time the router's FIB lost nodes: when (ms into the soak), which, and the stalls of the CPUs
    in the 300 ms before it (a BFD detection time and the router's work after it)."""
    withdrawals = []
    for (_, before), (at, after) in itertools.pairwise(changes):
        if left := sorted(set(before) - set(after)):
            near = [s for s in stalls if at - 300_000_000 <= s["at_ns"] <= at]
            withdrawals.append({"at_ms": round((at - changes[0][0]) / 1e6), "left": left, "stalls_before": near})
    return withdrawals


def _frr_counters(state: RouterState) -> dict[str, Any]:
    """What the FRR router counted over a soak: its BFD sessions' downs and ups, its BGP sessions' drops."""
    neighbors = frr_router.vtysh(state, "show bgp neighbors json")
    counters = frr_router.vtysh(state, "show bfd peers counters json")
    peers = [peer for peer in counters if isinstance(peer, dict)] if isinstance(counters, list) else []
    return {
        "bfd_sessions": len(peers),
        "bfd_session_downs": sum(int(peer["session-down"]) for peer in peers),
        "bfd_session_ups": sum(int(peer["session-up"]) for peer in peers),
        "bgp_connections_dropped": {
            peer: info.get("connectionsDropped")
            for peer, info in (neighbors if isinstance(neighbors, dict) else {}).items()
        },
    }


def _setting(text: str) -> tuple[str, int, int]:
    """`20`, `10x7`, `bird:20x6` → (the router's daemon, BFD interval, multiplier)."""
    daemon, _, timers = text.rpartition(":")
    interval, _, multiplier = timers.partition("x")
    return daemon or "frr", int(interval), int(multiplier or 3)


def _label(daemon: str, interval: int, multiplier: int) -> str:
    """bfd20 for 20 ms x 3 (the summaries' names before multipliers varied), bfd10x7 otherwise; after
    `bird-` when the router was BIRD."""
    timers = f"bfd{interval}" if multiplier == 3 else f"bfd{interval}x{multiplier}"
    return timers if daemon == "frr" else f"{daemon}-{timers}"


def _stamp(started: float) -> str:
    return time.strftime("%Y%m%d-%H%M", time.gmtime(started))


def _save(name: str, data: dict[str, Any]) -> None:
    SUMMARIES.mkdir(parents=True, exist_ok=True)
    (SUMMARIES / name).write_text(json.dumps(data, indent=2) + "\n")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "drills":
        names = list(ROUTED_SCENARIOS) if sys.argv[4] == "all" else sys.argv[4].split(",")
        drills(int(sys.argv[2]), [_setting(bfd) for bfd in sys.argv[3].split(",")], names)
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "soak":
        soak(float(sys.argv[2]), *_setting(sys.argv[3]), *(float(ms) for ms in sys.argv[4:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "stalls":
        stalls(float(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "hosts":
        hosts(int(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

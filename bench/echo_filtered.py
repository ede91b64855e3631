"""Collectors that drop ICMP echo, checked without it (lab.host.echo_filtered: `probe: http` on the
collector's health endpoint, `echo: false`, every 50 ms), the dev stack on the kernel plane with 120
exporters: the collector-kill drill TRIALS times (re-homed per exporter), then SOAK_S seconds with every
collector alive under traffic (the first 20 exporters sending 100 datagrams/s each to the netflow pool),
counting the collectors any node judged down: the false downs.

Usage (root, no lab up): venv/bin/python bench/echo_filtered.py [TRIALS] [SOAK_S]  (~12 minutes at 20, 600)
Writes bench/raw/echo-filtered/ (the drill's report) and prints the summary (bench/summaries/echo-filtered.json)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict

from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.scenarios import SCENARIOS
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.control import health_view
from ha_udp_lb.lab.host.echo_filtered import WITHOUT_ECHO, drop_echo
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState

SENDING, RATE, POOL = 20, 100, "netflow"


def soak(state: LabState, seconds: float) -> dict[str, object]:
    before = {node.name: len(health_view(node).get("transitions", [])) for node in state.nodes}
    target = next(p for p in state.pools if p.name == POOL)
    senders = [
        subprocess.Popen(
            [
                *("ip", "netns", "exec", exporter.netns, sys.executable, "-m", "ha_udp_lb.lab.agents.flood"),
                *(exporter.address, f"{target.vip}:{target.port}", str(2000 + index)),
                *(str(int(RATE * seconds)), str(seconds)),
            ],
            cwd=REPO,
        )
        for index, exporter in enumerate(state.exporters[:SENDING])
    ]
    for sender in senders:
        sender.wait(timeout=seconds + 60)
    after = {node.name: health_view(node).get("transitions", []) for node in state.nodes}
    downs = {name: [t for t in seen[before[name] :] if not t["up"]] for name, seen in after.items()}
    return {
        "seconds": seconds,
        "datagrams_per_s": SENDING * RATE,
        "checks_per_s_per_node_per_collector": round(1 / WITHOUT_ECHO["healthCheck"]["interval"]),
        "false_downs": sum(len(d) for d in downs.values()),
        "downs": downs,
    }


def main(trials: int, soak_s: float) -> None:
    down()
    state = up("dev", exporters=120, overrides=WITHOUT_ECHO)
    try:
        for backend in state.backends:
            drop_echo(backend)
        time.sleep(2)
        report = run(
            state, SCENARIOS["collector-kill"], trials, Settings(duration_s=3.0), REPO / "bench/raw/echo-filtered"
        )
        time.sleep(6)  # past the returned collector's hold-down
        summary = {
            "health_check": WITHOUT_ECHO["healthCheck"],
            "collector_kill": {
                "trials": trials,
                "rehomed_ms": asdict(report.rehomed_ms) if report.rehomed_ms else None,
                "failed_trials": [t.trial for t in report.trials if t.failed],
            },
            "soak": soak(state, soak_s),
        }
    finally:
        down()
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20, float(sys.argv[2]) if len(sys.argv) > 2 else 600.0)

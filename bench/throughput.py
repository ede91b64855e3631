"""The throughput table in BENCHMARKS.md: exporters straight to the collectors, through the kernel plane,
through nginx, and each plane again with every pool guarded (`allowedSources` admitting the exporters'
subnet, a `rateLimit` per exporter far above what any sends: the cost of the checks, nothing refused),
and without the rules that copy template packets to the agent (`templateReplay: false`) —
same topology, same senders (bench/udpflood, 128-byte datagrams from four exporter namespaces), one run.
For each path: the highest offered rate of a ladder at which the collectors' hosts receive ≥ 99.9 % of
what was sent, and the host's CPU seconds per million datagrams there (from /proc/stat: senders and
collectors included, so compare paths, not absolutes).

Collectors count in the kernel (an nftables counter that drops the datagram in their own namespace), so
no collector process is the bottleneck. Usage (root, no lab up): venv/bin/python bench/throughput.py"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.host.control import stop_backend
from ha_udp_lb.lab.host.netns import netns_run
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState

LADDER = [50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000, 800_000, 1_000_000, 1_200_000, 1_600_000]
DELIVERED = 0.999
SECONDS = 3.0
SENDER = REPO / "out" / "bench" / "udpflood"
POOL_PORT = 2055  # the dev stack's netflow pool
GUARDS: dict[str, object] = {"allowedSources": ["198.18.0.0/24"], "rateLimit": {"perSecond": 10_000_000}}
UNCOPIED: dict[str, object] = {"templateReplay": False}
"""The netflow pool without template continuity's two rules (on by default): their cost, same run."""
VARIANTS: dict[str, dict[str, object]] = {
    "kernel": {},
    "kernel+guards": GUARDS,
    "kernel, templates not copied": UNCOPIED,
    "nginx": {},
    "nginx+guards": GUARDS,
    "nginx, templates not copied": UNCOPIED,
}


def build_sender() -> None:
    SENDER.parent.mkdir(parents=True, exist_ok=True)
    source = REPO / "bench" / "udpflood" / "udpflood.c"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(SENDER), str(source)], check=True)


def count_at_collectors(state: LabState) -> None:
    """Replace each collector's process by a counter that drops the pool's datagrams in its namespace."""
    for backend in state.backends:
        stop_backend(backend)
        rules = (
            "table inet bench { counter got { }\n chain in { type filter hook prerouting priority raw; "
            # Longer than a bare header: the health agents' empty probes are not the load.
            f"udp dport {POOL_PORT} udp length > 8 counter name got drop\n }}\n}}\n"
        )
        subprocess.run(["ip", "netns", "exec", backend.netns, "nft", "-f", "-"], input=rules, text=True, check=True)


def received(state: LabState) -> int:
    total = 0
    for backend in state.backends:
        out = netns_run(backend.netns, "nft", "-j", "list", "counter", "inet", "bench", "got").stdout
        total += json.loads(out)["nftables"][1]["counter"]["packets"]
    return total


def busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / 100  # USER_HZ


def step(state: LabState, targets: list[str], rate: int) -> dict[str, float]:
    """Every exporter sends rate/len(exporters) to its target for SECONDS; what arrived, and the CPU it cost."""
    before, cpu = received(state), busy_seconds()
    senders = [
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                e.netns,
                str(SENDER),
                e.address,
                target,
                str(POOL_PORT),
                str(rate // len(targets)),
                str(SECONDS),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for e, target in zip(state.exporters, targets, strict=False)
    ]
    reports = [p.communicate(timeout=SECONDS + 70)[0].split() for p in senders]
    sent, took = sum(int(r[0]) for r in reports), max(float(r[1]) for r in reports)
    time.sleep(0.5)
    got, cpu = received(state) - before, busy_seconds() - cpu
    # The senders send their whole count even when they fall behind: what they achieved is what counts.
    return {
        "offered_per_s": rate,
        "sent_per_s": round(sent / took),
        "sent": sent,
        "received": got,
        "ratio": got / sent if sent else 0.0,
        "cpu_s_per_million": round(cpu / (got / 1e6), 2) if got else 0.0,
    }


def climb(state: LabState, targets: list[str]) -> dict[str, object]:
    steps, best = [], None
    for rate in LADDER:
        result = step(state, targets, rate)
        steps.append(result)
        achieved = f"{rate:>8}/s offered, {result['sent_per_s']:>8.0f}/s sent"
        print(f"  {achieved}: {result['ratio'] * 100:.3f} % received", file=sys.stderr, flush=True)
        if result["ratio"] < DELIVERED:
            break
        best = result
    return {"best": best, "steps": steps}


def main() -> None:
    build_sender()
    results = {}
    for name, overrides in VARIANTS.items():
        plane = name.split("+")[0].split(",")[0]
        down()
        state = up("dev", exporters=4, overrides={"dataPlane": plane, **overrides})
        try:
            count_at_collectors(state)
            vip = next(p.vip for p in state.pools if p.port == POOL_PORT)
            if name == "kernel":
                collectors = [b.address for b in state.backends]
                print("direct", file=sys.stderr)
                results["direct"] = climb(state, [collectors[i % len(collectors)] for i in range(4)])
            print(name, file=sys.stderr)
            results[name] = climb(state, [vip] * 4)
        finally:
            down()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

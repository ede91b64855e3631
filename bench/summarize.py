"""BENCHMARKS.md's tables, from the drills under bench/results (python bench/summarize.py)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.drill.report import DrillReport, TrialReport

RESULTS = Path(__file__).resolve().parent / "results"
CONFIGS = {
    "dev": "ours (dev stack)",
    "keepalived-defaults": "keepalived defaults (advert 1 s)",
    "seed-fixed-by-hand": "seed, fixed by hand",
    "seed-as-written": "seed, as written",
    "kernel": "ours, kernel plane (dev stack)",
    "docker": "ours, on Docker (dev stack's containers)",
}


def main() -> None:
    columns = ["configuration", "scenario", "trials", "blackout p50 / p95 / max (ms)", "lost / sent", "kept collector"]
    print("| " + " | ".join([*columns, "checks"]) + " |")
    print("|---|---|---|---|---|---|---|")
    for config, label in CONFIGS.items():
        for drill in sorted((RESULTS / config).glob("*/drill.json")):
            report = DrillReport.load(drill)
            b = report.blackout_ms
            kept = min(t.kept_collector_pct for t in report.trials)
            failed = sorted({check for t in report.trials for check in t.failed})
            checks = "all pass" if not failed else "failed: " + "; ".join(failed)
            print(
                f"| {label} | {report.scenario} | {len(report.trials)} | {b.p50:.0f} / {b.p95:.0f} / "
                f"{b.max:.0f} | {report.lost} / {report.sent} | {kept:.0f} % (worst trial) | {checks} |"
            )
    collectors()
    docker_arp()
    saturation = RESULTS / "saturation.json"
    if saturation.exists():
        s = json.loads(saturation.read_text())
        print(
            f"\nSaturation: {s['burners']} busy loops on {s['seconds']:.0f} s, VIP holders polled {s['polls']} times: "
            f"**{s['vip_moves']} VIP moves**; holders at the end {s['holders_at_end']}."
        )


def collectors() -> None:
    """The collector scenarios: how fast the lost collector's exporters move, and what others lose."""
    print(
        "\n| data plane | scenario | trials | exporters on it (min) | re-homed p50 / p95 / max (ms) | "
        "nodes disagreed max (ms) | lost by other exporters | checks |"
    )
    print("|---|---|---|---|---|---|---|---|")
    runs = [("nginx, source none", "collectors-none"), ("nginx, source transparent", "collectors-transparent")]
    for source, directory in [*runs, ("kernel plane", "kernel")]:
        for drill in sorted((RESULTS / directory).glob("collector-*/drill.json")):
            report = DrillReport.load(drill)
            moved = [len(t.rehomed_ms) for t in report.trials]
            r = report.rehomed_ms
            timing = f"{r.p50:.0f} / {r.p95:.0f} / {r.max:.0f}" if r else "-"
            disagreed = [t.nodes_disagreed_ms for t in report.trials if t.nodes_disagreed_ms is not None]
            others = sum(f.lost for t in report.trials for f in t.flows if f.rehomed_ms is None)
            failed = sorted({check for t in report.trials for check in t.failed})
            print(
                f"| {source} | {report.scenario} | {len(report.trials)} | {min(moved)} | {timing} | "
                f"{max(disagreed) if disagreed else 'n/a'} | {others} | "
                f"{'all pass' if not failed else 'failed: ' + '; '.join(failed)} |"
            )
    load = RESULTS / "probe-load.json"
    if load.exists():
        rates = json.loads(load.read_text())["datagrams_per_s"]
        worst = max(rate for per_host in rates.values() for rate in per_host.values())
        print(f"\nProbe load: at most **{worst} datagrams/s** from one LB node to one collector host.")


def docker_arp() -> None:
    """What ARP said through the docker drills: two live nodes for one VIP, a killed container's kernel
    still answering, nobody answering, and exporters' caches left on the wrong MAC."""
    drills = sorted((RESULTS / "docker").glob("*/drill.json"))
    if not drills:
        return
    print(
        "\n| docker scenario | trials | ARP samples | two live nodes answering, longest (ms) | killed container's "
        "kernel answering (ms, min–max) | nobody answering, longest (ms) | stale exporter caches |"
    )
    print("|---|---|---|---|---|---|---|")
    for drill in drills:
        report = DrillReport.load(drill)

        def worst(key: str, trial: TrialReport) -> float:
            per_vip = trial.observations[key]
            assert isinstance(per_vip, dict)
            return max(float(value) for value in per_vip.values())

        samples = sum(int(str(t.observations["arp_samples"])) for t in report.trials)
        dead = [worst("arp_dead_container_answered_ms", t) for t in report.trials]
        stale = sum(_length(t.observations["stale_arp_caches"]) for t in report.trials)
        print(
            f"| {report.scenario} | {len(report.trials)} | {samples} | "
            f"{max(worst('arp_two_live_answers_ms', t) for t in report.trials):.0f} | "
            f"{min(dead):.0f}–{max(dead):.0f} | {max(worst('arp_longest_silence_ms', t) for t in report.trials):.0f} | "
            f"{stale} |"
        )


def _length(items: object) -> int:
    assert isinstance(items, list)
    return len(items)


if __name__ == "__main__":
    main()

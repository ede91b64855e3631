"""BENCHMARKS.md's tables. Raw drill output (drill.json, timeline.png) goes to bench/raw/, which git
ignores; this condenses each drill into the figures the tables show (bench/summaries/<run>/<scenario>.json,
a few hundred bytes, kept in git), then prints the tables from the summaries alone.

    venv/bin/python bench/summarize.py > bench/summaries/summary.md"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from summarize_bgp import bgp_table  # noqa: E402
from summary_files import HOST_RUNS, SUMMARIES, summaries_of, triple  # noqa: E402

from ha_udp_lb.lab.drill.report import DrillReport, TrialReport  # noqa: E402

RAW = BENCH / "raw"
RUNS = {
    "dev": "ours (dev stack)",
    "keepalived-defaults": "keepalived defaults (advert 1 s)",
    "seed-fixed-by-hand": "seed, fixed by hand",
    "seed-as-written": "seed, as written",
    "kernel": "ours, kernel plane (dev stack)",
    "docker": "ours, on Docker (dev stack's containers)",
}
COLLECTOR_RUNS = {
    "collectors-none": "nginx, source none",
    "collectors-transparent": "nginx, source transparent",
    "kernel": "kernel plane",
    "whole-flows": "nginx, source transparent (issue 19's 200 trials)",
}


def condense(report: DrillReport) -> dict[str, object]:
    """The figures of one drill that the tables show."""
    b, trials = report.blackout_ms, report.trials
    summary: dict[str, object] = {
        "scenario": report.scenario,
        "trials": len(trials),
        "blackout_ms": {"p50": b.p50, "p95": b.p95, "max": b.max},
        "lost": report.lost,
        "sent": report.sent,
        "kept_collector_pct_worst": min(t.kept_collector_pct for t in trials),
        "failed_checks": sorted({check for t in trials for check in t.failed}),
        "flows_lost_whole": sum(len(t.lost_whole) for t in trials),
    }
    if report.rehomed_ms is not None or report.scenario.startswith("collector-"):
        r = report.rehomed_ms
        disagreed = [t.nodes_disagreed_ms for t in trials if t.nodes_disagreed_ms is not None]
        summary["collector"] = {
            "exporters_on_it_min": min(len(t.rehomed_ms) for t in trials),
            "rehomed_ms": {"p50": r.p50, "p95": r.p95, "max": r.max} if r else None,
            "nodes_disagreed_ms_max": max(disagreed) if disagreed else None,
            "lost_by_others": sum(f.lost for t in trials for f in t.flows if f.rehomed_ms is None),
        }
    if "arp_samples" in trials[0].observations:
        summary["arp"] = _arp(trials)
    timings = _timings(trials)
    if timings:
        summary["timings_ms"] = timings
    holding = [int(str(t.observations[HOLDERS])) for t in trials if HOLDERS in t.observations]
    if holding:
        summary["most_holders_at_once"] = max(holding)
    return summary


HOLDERS = "most holders of the VIP at once"


def _timings(trials: list[TrialReport]) -> dict[str, dict[str, float]]:
    """Each moment a scenario noted ("… (ms)" after its event): p50, p95 and max over the trials."""
    keys = sorted({key for t in trials for key in t.observations if key.endswith(" (ms)")})
    result = {}
    for key in keys:
        values = sorted(float(str(t.observations[key])) for t in trials if key in t.observations)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        result[key.removesuffix(" (ms)")] = {"p50": values[len(values) // 2], "p95": p95, "max": values[-1]}
    return result


def _arp(trials: list[TrialReport]) -> dict[str, float]:
    def worst(key: str, trial: TrialReport) -> float:
        per_vip = trial.observations[key]
        assert isinstance(per_vip, dict)
        return max(float(value) for value in per_vip.values())

    dead = [worst("arp_dead_container_answered_ms", t) for t in trials]
    return {
        "samples": sum(int(str(t.observations["arp_samples"])) for t in trials),
        "two_live_ms_max": max(worst("arp_two_live_answers_ms", t) for t in trials),
        "dead_container_ms_min": min(dead),
        "dead_container_ms_max": max(dead),
        "silence_ms_max": max(worst("arp_longest_silence_ms", t) for t in trials),
        "stale_caches": sum(_length(t.observations["stale_arp_caches"]) for t in trials),
    }


def _length(items: object) -> int:
    assert isinstance(items, list)
    return len(items)


def condense_raw() -> None:
    """A summary for every raw drill there is; summaries of runs not redone stay as they are."""
    for drill in sorted(RAW.glob("*/*/drill.json")):
        run, scenario = drill.parent.parent.name, drill.parent.name
        target = SUMMARIES / run / f"{scenario}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(condense(DrillReport.load(drill)), indent=1, sort_keys=True) + "\n")


def _checks(drill: dict[str, object]) -> str:
    failed = drill["failed_checks"]
    assert isinstance(failed, list)
    return "all pass" if not failed else "failed: " + "; ".join(failed)


def drills_table() -> None:
    print(
        "| configuration | scenario | trials | blackout p50 / p95 / max (ms) | lost / sent | kept collector | checks |"
    )
    print("|---|---|---|---|---|---|---|")
    for run, label in RUNS.items():
        for d in summaries_of(run):
            print(
                f"| {label} | {d['scenario']} | {d['trials']} | {triple(d['blackout_ms'])} | "
                f"{d['lost']} / {d['sent']} | {d['kept_collector_pct_worst']:.0f} % (worst trial) | {_checks(d)} |"
            )


def collectors_table() -> None:
    print(
        "\n| data plane | scenario | trials | exporters on it (min) | re-homed p50 / p95 / max (ms) | "
        "nodes disagreed max (ms) | lost by other exporters | flows lost whole | checks |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run, label in COLLECTOR_RUNS.items():
        for d in summaries_of(run, "collector-*.json"):
            c = d["collector"]
            assert isinstance(c, dict)
            timing = triple(c["rehomed_ms"]) if c["rehomed_ms"] else "-"
            disagreed = c["nodes_disagreed_ms_max"]
            print(
                f"| {label} | {d['scenario']} | {d['trials']} | {c['exporters_on_it_min']} | {timing} | "
                f"{'n/a' if disagreed is None else disagreed} | {c['lost_by_others']} | "
                f"{d.get('flows_lost_whole', 'not counted')} | {_checks(d)} |"
            )


def docker_arp_table() -> None:
    drills = [d for d in summaries_of("docker") if "arp" in d]
    if not drills:
        return
    print(
        "\n| docker scenario | trials | ARP samples | two live nodes answering, longest (ms) | killed container's "
        "kernel answering (ms, min–max) | nobody answering, longest (ms) | stale exporter caches |"
    )
    print("|---|---|---|---|---|---|---|")
    for d in drills:
        a = d["arp"]
        assert isinstance(a, dict)
        print(
            f"| {d['scenario']} | {d['trials']} | {a['samples']} | {a['two_live_ms_max']:.0f} | "
            f"{a['dead_container_ms_min']:.0f}–{a['dead_container_ms_max']:.0f} | {a['silence_ms_max']:.0f} | "
            f"{a['stale_caches']} |"
        )


def hosts_table() -> None:
    rows = [(label, d) for run, label in HOST_RUNS.items() for d in summaries_of(run)]
    if not rows:
        return
    print(
        "\n| host | scenario | trials | blackout p50 / p95 / max (ms) | lost / sent | "
        "moments after the event, p50 / p95 / max (ms) | most VIP holders at once | checks |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, d in rows:
        timings = d.get("timings_ms", {})
        assert isinstance(timings, dict)
        moments = "; ".join(f"{name}: {triple(values)}" for name, values in timings.items()) or "-"
        print(
            f"| {label} | {d['scenario']} | {d['trials']} | {triple(d['blackout_ms'])} | {d['lost']} / {d['sent']} | "
            f"{moments} | {d.get('most_holders_at_once', '-')} | {_checks(d)} |"
        )


def vrrp_loss_table() -> None:
    """bench/vrrp_loss.py's table: spurious masters under advert loss, idle and saturated, and the link cut."""
    path = SUMMARIES / "vrrp-loss.json"
    if not path.exists():
        return
    rows = json.loads(path.read_text())["rows"]
    losses = sorted({c["loss_pct"] for row in rows for c in row["cells"]})
    seconds = max(c["seconds"] for row in rows for c in row["cells"])
    head = " | ".join(f"{loss:g} % lost: idle / saturated" for loss in losses)
    print(f"\n| advert interval | {head} | link cut p50 / p95 / max (ms): idle; saturated |")
    print("|---|" + "---|" * len(losses) + "---|")
    for row in rows:
        cells = {(c["loss_pct"], c["saturated"]): c["spurious_masters"] for c in row["cells"]}
        moves = " | ".join(f"{cells.get((loss, False), '-')} / {cells.get((loss, True), '-')}" for loss in losses)
        cuts = "; ".join(triple(c["blackout_ms"]) if "blackout_ms" in c else c["error"] for c in row["link_cut"])
        print(f"| {row['advert_interval_s'] * 1000:.0f} ms | {moves} | {cuts or '-'} |")
    print(f"\nSpurious masters: times any node became master while nothing failed, in {seconds:.0f} s per cell.")


def extras() -> None:
    saturation, load = SUMMARIES / "saturation.json", SUMMARIES / "probe-load.json"
    if load.exists():
        rates = json.loads(load.read_text())["datagrams_per_s"]
        worst = max(rate for per_host in rates.values() for rate in per_host.values())
        print(f"\nProbe load: at most **{worst} datagrams/s** from one LB node to one collector host.")
    if saturation.exists():
        s = json.loads(saturation.read_text())
        print(
            f"\nSaturation: {s['burners']} busy loops on {s['seconds']:.0f} s, VIP holders polled {s['polls']} times: "
            f"**{s['vip_moves']} VIP moves**; holders at the end {s['holders_at_end']}."
        )


def main() -> None:
    condense_raw()
    drills_table()
    collectors_table()
    docker_arp_table()
    hosts_table()
    vrrp_loss_table()
    bgp_table()
    extras()


if __name__ == "__main__":
    main()

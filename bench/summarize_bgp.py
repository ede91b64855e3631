"""BENCHMARKS.md's BGP tables: bench/bgp.py's routed drills per router and BFD timers, the booted hosts'
drills, its soaks and the machine's own stalls."""

from __future__ import annotations

from typing import Any

from summary_files import HOST_RUNS, summaries_of, triple

ROUTERS = {"frr": "FRR 8.4", "bird": "BIRD 2.0.12"}


def bgp_table() -> None:
    """bench/bgp.py's routed drills, per router and BFD timers, and its soaks."""
    drills = summaries_of("bgp", "bfd*.json") + summaries_of("bgp", "bird-bfd*.json")
    if not drills:
        return
    print(
        "\n| router | BFD | drill | trials | victim's exporters: blackout p50 / p95 / max (ms) | "
        "router left the victim p50 / p95 / max (ms) | lost: victim's / others' | changed collector | checks |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for d in sorted(drills, key=_drill_order):
        withdrawn = triple(d["withdrawn_ms"]) if d["scenario"] not in ("node-added",) else "-"
        print(
            f"| {ROUTERS[d.get('router', 'frr')]} | {_timers(d)} | {d['scenario']} | {d['trials']} | "
            f"{triple(d['affected_blackout_ms'])} | "
            f"{withdrawn} | {d['affected_lost']} / {d['others_lost']} | {d['changed_collector']} | "
            f"{'all pass' if d['passed'] else 'FAILED'} |"
        )
    booted = summaries_of("bgp", "hosts-*.json")
    if booted:
        print(
            "\n| hosts | drill | trials | lb1's exporters: blackout p50 / p95 / max (ms) | router left lb1 "
            "p50 / p95 / max (ms) | lost: lb1's / others' | changed collector | checks |"
        )
        print("|---|---|---|---|---|---|---|---|")
    for d in booted:
        hosts = HOST_RUNS[f"hosts-{d['suite']}"]
        print(
            f"| {hosts} | {d['scenario']} | {d['trials']} | {triple(d['affected_blackout_ms'])} | "
            f"{triple(d['withdrawn_ms'])} | {d['affected_lost']} / {d['others_lost']} | {d['changed_collector']} | "
            f"{'all pass' if d['passed'] else 'FAILED'} |"
        )
    for soak in summaries_of("bgp", "soak*.json"):
        watched = f"FIB polled {soak['polls']} times" if "polls" in soak else "FIB watched by `ip monitor route`"
        sessions = (
            f"; BFD session downs {soak['bfd_session_downs']} over {soak['bfd_sessions']} sessions"
            if "bfd_sessions" in soak
            else ""
        )
        print(
            f"\nSoak, {ROUTERS[soak.get('router', 'frr')]} router, BFD {_timers(soak)} "
            f"(bfdd {'on' if soak.get('bfdd_realtime') else 'off'} real-time), {soak['burners']} busy loops for "
            f"{soak['seconds']:.0f} s: **{soak['nodes_withdrawn']} nodes withdrawn** by the router ({watched})"
            f"{sessions}{_stalls(soak)}."
        )
    for probe in summaries_of("bgp", "stalls*.json"):
        print(f"\nNo lab, {probe['burners']} busy loops for {probe['seconds']:.0f} s{_stalls(probe)}.")


def _drill_order(drill: dict[str, Any]) -> tuple[str, str, int, int]:
    return (
        str(drill["scenario"]),
        str(drill.get("router", "frr")),
        int(drill["bfd_ms"]),
        int(drill.get("bfd_multiplier", 3)),
    )


def _timers(run: dict[str, Any]) -> str:
    return f"{run['bfd_ms']} ms × {run.get('bfd_multiplier', 3)}"


def _stalls(run: dict[str, Any]) -> str:
    """What bench/stall_probe.py saw during a run, if it ran."""
    if "worst_late_wakes" not in run:
        return ""
    worst = max((wake["late_ms"] for wake in run["worst_late_wakes"]), default=0)
    return f"; every CPU late at once {run['every_cpu_late_at_once']} times, the latest wake {worst} ms late"

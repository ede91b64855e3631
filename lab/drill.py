"""`lab drill`: exporters send sequenced probes to every pool while a scenario plays, trial after trial;
each trial is judged (blackout, loss, who holds the VIP, collectors kept) and written as JSON, with a
timeline PNG of the worst trial."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .analysis import Delivery, TrialTraffic, analyse, per_bucket
from .control import PACKAGE_ROOT, daemons, holders
from .scenarios import Context, Scenario
from .site import wait_settled
from .stackfile import ROOT
from .state import LabState, PoolState
from .timeline import BUCKET_MS, draw
from .wire import read_received, read_sent

DRILLS_DIR = ROOT / "out" / "drills"
LEAD_IN_S = 0.3
"""Between launching the exporters and their first probe: every one of them is up and waiting."""
IN_FLIGHT_S = 0.3
"""After the last probe: what is still queued in a daemon reaches its collector."""


@dataclass(frozen=True)
class Settings:
    rate: float = 200.0
    """Probes per second per exporter per pool."""
    duration_s: float = 4.0
    event_at_s: float = 1.0


def run(
    state: LabState, scenario: Scenario, trials: int, settings: Settings, out: Path | None = None
) -> dict[str, Any]:
    out = out or DRILLS_DIR / f"{state.stack}-{scenario.name}-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    worst: tuple[float, int, dict[str, Any]] | None = None
    for trial in range(1, trials + 1):
        result, picture = _trial(state, scenario, trial, settings, out)
        results.append(result)
        print(_trial_line(result), flush=True)
        if worst is None or result["blackout_ms"] > worst[0]:
            worst = (result["blackout_ms"], trial, picture)
    assert worst is not None
    timeline = out / "timeline.png"
    draw(timeline, title=f"{state.stack}: {scenario.summary} (trial {worst[1]} of {trials}, the worst)", **worst[2])
    report = {
        "stack": state.stack,
        "scenario": scenario.name,
        "summary": scenario.summary,
        "settings": asdict(settings),
        "exporters": len(state.exporters),
        "pools": [p.name for p in probed(state)],
        "trials": results,
        "blackout_ms": _distribution([r["blackout_ms"] for r in results]),
        "lost": sum(r["lost"] for r in results),
        "sent": sum(r["sent"] for r in results),
        "passed": all(all(r["checks"].values()) for r in results),
        "timeline": str(timeline),
    }
    (out / "drill.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(out / "sent", ignore_errors=True)
    return report


def _trial(
    state: LabState, scenario: Scenario, trial: int, settings: Settings, out: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    wait_settled(state)
    ctx = Context(state=state, victim=state.node(state.vips[0].preferred))
    scenario.prepare(ctx)
    offsets = {b.address: _size(b.data / "received.bin") for b in state.backends}
    sent_dir = out / "sent" / str(trial)
    sent_dir.mkdir(parents=True, exist_ok=True)
    start_ns = time.monotonic_ns() + int(LEAD_IN_S * 1e9)
    exporters = _start_exporters(state, trial, settings, start_ns, sent_dir)
    try:
        time.sleep(max(0.0, (start_ns + settings.event_at_s * 1e9 - time.monotonic_ns()) / 1e9))
        scenario.act(ctx)
        for process in exporters:
            process.wait(timeout=settings.duration_s + 60)
    finally:
        for process in exporters:
            process.kill()
    time.sleep(IN_FLIGHT_S)
    after = holders(state)
    healthy = {n.name: all(daemons(n).get(name, 0) > 0 for name in ("nginx", "keepalived")) for n in state.nodes}
    events = list(ctx.events)  # putting the lab back is not part of the trial
    scenario.restore(ctx)

    sent = [
        (exporter.index, record)
        for exporter in state.exporters
        for record in read_sent((sent_dir / f"{exporter.index}.bin").read_bytes())
    ]
    delivered = [
        Delivery(backend.address, record)
        for backend in state.backends
        if backend.ports
        for record in read_received(_read_from(backend.data / "received.bin", offsets[backend.address]))
        if record.trial == trial
    ]
    traffic = analyse(sent, delivered, [p.name for p in probed(state)], settings.rate)
    checks = _checks(state, scenario, ctx, traffic, after, healthy)
    span_ms = (settings.duration_s + IN_FLIGHT_S) * 1000

    def since_start(ns: int) -> float:
        return round((ns - start_ns) / 1e6, 1)

    result = {
        "trial": trial,
        "blackout_ms": traffic.blackout_ms,
        "blackout_flow": traffic.blackout_flow,
        "lost": traffic.lost,
        "sent": traffic.sent,
        "duplicates": traffic.duplicates,
        "holders_after": after,
        "healthy_after": healthy,
        "kept_collector_pct": round(100 * traffic.kept_collector_fraction, 1),
        "moved": traffic.moved,
        "events": [{"at_ms": since_start(ns), "event": label} for ns, label in events],
        "observations": ctx.observations,
        "checks": checks,
        "flows": [asdict(f) for f in traffic.flows],
    }
    window = traffic.blackout_window_ns
    picture = {
        "buckets": per_bucket(delivered, start_ns, BUCKET_MS),
        "events": [(since_start(ns), label) for ns, label in events],
        "blackout_ms": (since_start(window[0]), since_start(window[1]) + 1000 / settings.rate) if window else None,
        "span_ms": span_ms,
    }
    return result, picture


def _checks(
    state: LabState,
    scenario: Scenario,
    ctx: Context,
    traffic: TrialTraffic,
    after: dict[str, list[str]],
    healthy: dict[str, bool],
) -> dict[str, bool]:
    vip = state.vips[0].address
    checks = {
        "every VIP on exactly one node": all(len(nodes) == 1 for nodes in after.values()),
        "every VIP holder healthy": all(healthy[n] for nodes in after.values() for n in nodes),
    }
    if scenario.vip_ends_on == "the victim":
        checks[f"{vip} on {ctx.victim.name}"] = after[vip] == [ctx.victim.name]
    elif scenario.vip_ends_on == "another node":
        checks[f"{vip} moved off {ctx.victim.name}"] = ctx.victim.name not in after[vip] and len(after[vip]) == 1
    if scenario.zero_loss:
        checks["no datagram lost"] = traffic.lost == 0
    if scenario.backend_lost:
        lost = str(ctx.observations["lost_backend"])
        checks["only the lost collector's exporters moved"] = all(
            len(f.collectors) == 1 or (len(f.collectors) == 2 and f.collectors[0] == lost) for f in traffic.flows
        )
    else:
        checks["every exporter kept its collector"] = traffic.flows_kept_collector == len(traffic.flows)
    if "holders_while_cut" in ctx.observations:
        cut = ctx.observations["holders_while_cut"]
        assert isinstance(cut, dict)
        checks["both nodes held the VIPs while VRRP was cut"] = all(
            len(nodes) == len(state.nodes) for nodes in cut.values()
        )
    return checks


def _start_exporters(
    state: LabState, trial: int, settings: Settings, start_ns: int, sent_dir: Path
) -> list[subprocess.Popen[bytes]]:
    targets = [f"{pool.vip}:{pool.port}" for pool in probed(state)]
    return [
        subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                exporter.netns,
                sys.executable,
                "-m",
                "lab.exporter",
                str(exporter.index),
                str(trial),
                str(settings.rate),
                str(start_ns),
                str(settings.duration_s),
                str(sent_dir / f"{exporter.index}.bin"),
                *targets,
            ],
            cwd=PACKAGE_ROOT,
        )
        for exporter in state.exporters
    ]


def probed(state: LabState) -> list[PoolState]:
    """The pools the drill sends probes to: those whose collectors record them."""
    return [pool for pool in state.pools if pool.collector == "sink"]


def _distribution(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"p50": rank(0.5), "p95": rank(0.95), "max": ordered[-1], "min": ordered[0]}


def _trial_line(result: dict[str, Any]) -> str:
    failed = [name for name, ok in result["checks"].items() if not ok]
    holders_text = ", ".join(f"{vip}@{'+'.join(nodes) or 'nobody'}" for vip, nodes in result["holders_after"].items())
    verdict = "ok" if not failed else "FAILED: " + "; ".join(failed)
    return (
        f"trial {result['trial']:>2}: blackout {result['blackout_ms']:>7.1f} ms, lost {result['lost']:>5} of "
        f"{result['sent']}, {holders_text}, collectors kept {result['kept_collector_pct']:.0f}%  {verdict}"
    )


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _read_from(path: Path, offset: int) -> bytes:
    with path.open("rb") as records:
        records.seek(offset)
        return records.read()

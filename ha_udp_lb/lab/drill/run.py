"""`lab drill`: a scenario played trial after trial while exporters send sequenced probes to every
pool; the report (drill.json) and a timeline PNG of the worst trial go to the drill's directory."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ha_udp_lb.core.project import REPO

from ..host.state import LabState
from .report import Distribution, DrillReport, TrialReport
from .scenario import Scenario
from .timeline import draw
from .trial import Picture, Settings, probed, run_trial

DRILLS_DIR = REPO / "out" / "drills"


def run(state: LabState, scenario: Scenario, trials: int, settings: Settings, out: Path | None = None) -> DrillReport:
    out = out or DRILLS_DIR / f"{state.stack}-{scenario.name}-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    results: list[TrialReport] = []
    worst: tuple[TrialReport, Picture] | None = None
    for number in range(1, trials + 1):
        result, picture = run_trial(state, scenario, number, settings, out / "sent" / str(number))
        results.append(result)
        print(trial_line(result), flush=True)
        if worst is None or result.blackout_ms > worst[0].blackout_ms:
            worst = (result, picture)
    assert worst is not None
    timeline = out / "timeline.png"
    title = f"{state.stack}: {scenario.summary} (trial {worst[0].trial} of {trials}, the worst)"
    draw(timeline, title=title, **asdict(worst[1]))
    report = DrillReport(
        stack=state.stack,
        scenario=scenario.name,
        summary=scenario.summary,
        settings=asdict(settings),
        exporters=len(state.exporters),
        pools=[p.name for p in probed(state)],
        trials=results,
        timeline=str(timeline),
        blackout_ms=Distribution.of([r.blackout_ms for r in results]),
        lost=sum(r.lost for r in results),
        sent=sum(r.sent for r in results),
        rehomed_ms=Distribution.of([ms for r in results for ms in r.rehomed_ms]) if scenario.collector else None,
    )
    report.save(out / "drill.json")
    shutil.rmtree(out / "sent", ignore_errors=True)
    return report


def trial_line(result: TrialReport) -> str:
    holders_text = ", ".join(f"{vip}@{'+'.join(nodes) or 'nobody'}" for vip, nodes in result.holders_after.items())
    verdict = "ok" if not result.failed else "FAILED: " + "; ".join(result.failed)
    return (
        f"trial {result.trial:>2}: blackout {result.blackout_ms:>7.1f} ms, lost {result.lost:>5} of "
        f"{result.sent}, {holders_text}, collectors kept {result.kept_collector_pct:.0f}%  {verdict}"
    )


def drill_line(report: DrillReport) -> str:
    b = report.blackout_ms
    return (
        f"   blackout p50 {b.p50} ms, p95 {b.p95} ms, max {b.max} ms; lost {report.lost} of "
        f"{report.sent}; {'passed' if report.passed else 'FAILED'}; timeline {report.timeline}"
    )

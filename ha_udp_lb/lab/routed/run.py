"""`lab drill` on a `routing: bgp` stack: each routed scenario trial after trial; the report
(drill.json: every trial, and the distributions BENCHMARKS.md quotes) goes to the drill's directory."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from ..drill.report import Distribution
from ..drill.run import DRILLS_DIR
from ..drill.trial import Settings
from ..host.state import LabState
from .scenarios import RoutedScenario
from .trial import RoutedReport, run_trial


def run(
    state: LabState, scenario: RoutedScenario, trials: int, rate: float, out: Path | None = None
) -> dict[str, object]:
    out = out or DRILLS_DIR / f"{state.stack}-{scenario.name}-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    reports: list[RoutedReport] = []
    for number in range(1, trials + 1):
        report = run_trial(state, scenario, number, Settings(rate=rate), out / "sent" / str(number))
        reports.append(report)
        print(trial_line(report), flush=True)
    summary = {
        "stack": state.stack,
        "scenario": scenario.name,
        "summary": scenario.summary,
        "rate": rate,
        "exporters": len(state.exporters),
        "trials": len(reports),
        "passed": all(r.passed for r in reports),
        "affected_blackout_ms": asdict(Distribution.of([r.affected_blackout_ms for r in reports])),
        "withdrawn_ms": asdict(Distribution.of([r.withdrawn_ms for r in reports if r.withdrawn_ms is not None])),
        "joined_ms": asdict(Distribution.of([r.joined_ms for r in reports if r.joined_ms is not None])),
        "affected_lost": sum(r.affected_lost for r in reports),
        "others_lost": sum(r.others_lost for r in reports),
        "changed_collector": sum(len(r.changed_collector) for r in reports),
        "per_trial": [r.as_json() for r in reports],
    }
    (out / "drill.json").write_text(json.dumps(summary, indent=2) + "\n")
    shutil.rmtree(out / "sent", ignore_errors=True)
    return summary


def trial_line(report: RoutedReport) -> str:
    failed = [name for name, ok in report.checks.items() if not ok]
    verdict = "ok" if not failed else "FAILED: " + "; ".join(failed)
    withdrawn = f"{report.withdrawn_ms} ms" if report.withdrawn_ms is not None else "-"
    return (
        f"trial {report.trial:>2}: {report.victim}'s {report.affected} exporters: blackout "
        f"{report.affected_blackout_ms:>6.1f} ms, lost {report.affected_lost}; others lost {report.others_lost}; "
        f"router left {report.victim} after {withdrawn}; changed collector {len(report.changed_collector)}  {verdict}"
    )


def drill_line(summary: dict[str, object]) -> str:
    blackout, withdrawn = summary["affected_blackout_ms"], summary["withdrawn_ms"]
    assert isinstance(blackout, dict) and isinstance(withdrawn, dict)
    return (
        f"   blackout p50 {blackout['p50']} ms, p95 {blackout['p95']} ms; router left the victim p95 "
        f"{withdrawn['p95']} ms; lost {summary['affected_lost']} (others {summary['others_lost']}); changed "
        f"collector {summary['changed_collector']}; {'passed' if summary['passed'] else 'FAILED'}"
    )

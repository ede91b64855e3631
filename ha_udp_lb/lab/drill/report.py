"""What a drill reports: one `TrialReport` per trial and a `DrillReport` over them, written once as
drill.json and read back by attribute (the CLI, the tests, bench/summarize.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from .analysis import FlowResult


@dataclass(frozen=True)
class Event:
    at_ms: float
    """Since the exporters' first probe."""
    event: str


@dataclass(frozen=True)
class Distribution:
    p50: float
    p95: float
    max: float
    min: float

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        """Nearest-rank percentiles; all zero for no values."""
        ordered = sorted(values) or [0.0]

        def rank(q: float) -> float:
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

        return cls(p50=rank(0.5), p95=rank(0.95), max=ordered[-1], min=ordered[0])


@dataclass(frozen=True)
class TrialReport:
    trial: int
    blackout_ms: float
    """The longest run of lost probes in any one flow, as time."""
    blackout_flow: str | None
    lost: int
    sent: int
    duplicates: int
    holders_after: dict[str, list[str]]
    """VIP → the nodes holding it once the scenario has played."""
    healthy_after: dict[str, bool]
    """Node → nginx and keepalived both running."""
    kept_collector_pct: float
    moved: list[str]
    events: list[Event]
    observations: dict[str, object]
    checks: dict[str, bool]
    """What the scenario promises, each with its verdict."""
    flows: list[FlowResult]
    rehomed_ms: list[float] = field(default_factory=list)
    """Collector scenarios: per moved flow, from the event to its first datagram at its new collector."""
    verdict_ms: dict[str, float] = field(default_factory=dict)
    """Collector scenarios: per node, from the event to its health agent's verdict on the lost collector."""
    nodes_disagreed_ms: float | None = None
    """Collector scenarios: between the first and the last node's verdict on the lost collector."""
    lost_whole: list[str] = field(default_factory=list)
    """Flows of which no probe reached any collector ("exporter N → pool")."""
    nginx_errors: dict[str, list[str]] = field(default_factory=dict)
    """Per node, what its nginx wrote to its error log during the trial."""

    @property
    def failed(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]


@dataclass(frozen=True)
class DrillReport:
    stack: str
    scenario: str
    summary: str
    settings: dict[str, float]
    exporters: int
    pools: list[str]
    trials: list[TrialReport]
    timeline: str
    """The PNG of the worst trial."""
    blackout_ms: Distribution
    lost: int
    sent: int
    rehomed_ms: Distribution | None = None
    """Over every moved flow of every trial (collector scenarios)."""

    @property
    def passed(self) -> bool:
        return all(not t.failed for t in self.trials)

    def save(self, path: Path) -> None:
        path.write_bytes(_ADAPTER.dump_json(self, indent=2) + b"\n")

    @staticmethod
    def load(path: Path) -> DrillReport:
        return _ADAPTER.validate_json(path.read_bytes())


_ADAPTER = TypeAdapter(DrillReport)

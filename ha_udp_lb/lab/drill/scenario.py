"""What a scenario is: the failure it plays on the lab, what must hold afterwards, and how the lab
is put back; and the context a trial hands it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..host.control import node_sh
from ..host.state import LabState, NodeState

Events = list[tuple[int, str]]
"""(CLOCK_MONOTONIC ns, label): marked on the timeline."""


@dataclass
class Context:
    state: LabState
    victim: NodeState
    events: Events = field(default_factory=list)
    observations: dict[str, object] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    """What the scenario judged itself, beside the trial's own checks."""
    kept: dict[str, Any] = field(default_factory=dict)
    """What the scenario keeps between its steps (a process it runs for the trial, a moment it noted);
    not reported."""

    def mark(self, label: str) -> None:
        self.events.append((time.monotonic_ns(), label))

    def sh(self, node: NodeState, command: str, label: str) -> None:
        self.mark(label)
        # Output to a file, not our pipe: a daemon started here would hold the pipe open for ever.
        out = node.scratch / "action.out"
        result = node_sh(node, f"({command}) > {out} 2>&1 < /dev/null")
        if result.returncode != 0:
            nginx_log = node.scratch / "log" / "error.log"
            tail = nginx_log.read_text()[-1500:] if nginx_log.exists() else ""
            raise ScenarioError(
                f"{label} on {node.name} failed ({result.returncode}):\n{out.read_text()[-2000:]}"
                f"\nnginx's error log on {node.name} ends:\n{tail}"
            )


class ScenarioError(RuntimeError):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    act: Callable[[Context], None]
    restore: Callable[[Context], None]
    prepare: Callable[[Context], None] = lambda ctx: None
    zero_loss: bool = False
    """Nothing may be lost: the move is planned, and the design promises it costs no datagram."""
    vip_ends_on: str = "another node"
    """Where the first VIP must be afterwards: "the victim" (back on it, or never left), "another node",
    or "any node" (only that exactly one node holds it)."""
    exporters: int | None = 4
    """How many of the lab's exporters send (None: all of them)."""
    first_pool_only: bool = False
    """Probe only the first pool (the one whose first collector the collector scenarios lose)."""
    collector: str | None = None
    """"lost": the first pool's first collector is lost, its exporters must move and only they;
    "returns": it comes back, its exporters must return and nothing else move; "pool": the whole
    first pool is lost and returns (its own `judge_traffic` says what must hold)."""
    planes: frozenset[str] = frozenset({"nginx", "kernel"})
    """The data planes the scenario means something for."""
    zero_loss_from: str | None = None
    """Nothing may be lost from the first event whose label starts with this on (the failure itself
    may cost datagrams, what follows it may not)."""
    judge_traffic: Callable[[Context, list[Any], list[Any]], dict[str, bool]] | None = None
    """Checks of the trial's flows and deliveries (analysis.FlowResult, analysis.Delivery) that the
    scenario alone promises."""
    duration_s: float | None = None
    """Seconds of traffic when the drill's own setting is too short for what must be seen."""

"""Operating a stack (issue 31), on the lab with a real Prometheus scraping every node's agent and
evaluating the shipped rules (monitoring/alerts.yml): every dashboard panel's query answering, and each
failure an operator is woken for firing its alert within the rule's `for:` plus a scrape, then resolving.
The dev stack on nginx (transparent), so that the nginx-only panels have data too. What the nodes count
per collector against what the collectors received: test_where.py, on both planes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.alerts import agent_killed_and_no_vip, split_brain_and_collector_down
from ha_udp_lb.lab.host.prometheus import SCRAPE_S, LabPrometheus, start
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState

pytestmark = pytest.mark.lab

EVALUATION_S = SCRAPE_S
"""The rules are evaluated as often as the nodes are scraped: an alert may fire one scrape plus one
evaluation after its `for:` ends."""


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabState, LabPrometheus]]:
    down()
    state = up("dev", overrides={"dataPlane": "nginx", "source": "transparent"})
    try:
        yield state, start(state, stack="dev")
    finally:
        down()


def test_failures_fire_their_alerts_in_time_and_resolve(lab: tuple[LabState, LabPrometheus]) -> None:
    """Each alert fires within its `for:` + a scrape + an evaluation (+ the lab's polling and the
    collector's own detection, ~0.5 s), and resolves once the failure is undone (lab.drill.alerts)."""
    state, prometheus = lab
    assert not prometheus.firing(), "alerts fire before any failure"
    fired = split_brain_and_collector_down(state, prometheus, "syslog")
    second, roles = agent_killed_and_no_vip(state, prometheus)
    fired += second
    print({f.alert: (round(f.after_s, 1), round(f.resolved_s, 1)) for f in fired})  # BENCHMARKS.md: bench/alerts.py
    assert roles == {"STOP"}, f"keepalived stopped everywhere, yet the nodes report {roles}"
    slack = SCRAPE_S + EVALUATION_S + 1.5
    late = {f.alert: round(f.after_s, 1) for f in fired if f.after_s > f.wait_s + slack}
    assert not late, f"fired later than for: + {slack} s: {late}"


def test_every_dashboard_panel_has_data(lab: tuple[LabState, LabPrometheus]) -> None:
    """After the drill above (so that the VIPs have moved, and every rate has its samples)."""
    _, prometheus = lab
    panels = json.loads((REPO / "monitoring" / "dashboard.json").read_text())["panels"]
    queries = {
        p["title"]: p["targets"][0]["expr"].replace("$__rate_interval", "15s")
        for p in panels
        if p["type"] != "row" and not p["description"].startswith("routing: bgp")
    }
    empty = [title for title, expr in queries.items() if not prometheus.query(expr)]
    assert not empty, f"panels with no series: {empty}"

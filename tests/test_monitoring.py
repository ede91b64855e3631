"""The shipped alert rules and dashboard (monitoring/): judged by Prometheus's promtool, every rule proven
to fire and to stay quiet, every metric they name one the agent really emits, and the dashboard's JSON
exactly what its builder makes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from ha_udp_lb.core.project import REPO

MONITORING = REPO / "monitoring"
RULES, RULE_TESTS = MONITORING / "alerts.yml", MONITORING / "alerts_test.yml"
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus) missing")


def alert_names() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]


def emitted_metrics() -> set[str]:
    """Every metric name the agent's sources write out (its exposition lines are literal strings)."""
    sources = "".join(path.read_text() for path in (REPO / "ha_udp_lb" / "node_agent").glob("*.py"))
    return set(re.findall(r"\b(ha_udp_lb_[a-z_]+?)(?:\{|\s|\")", sources))


@pytest.mark.daemons
@needs_promtool
def test_promtool_accepts_the_rules_and_their_tests_pass() -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        ["promtool", "test", "rules", RULE_TESTS.name], cwd=MONITORING, capture_output=True, text=True
    )
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def test_every_rule_has_a_case_that_fires_and_one_that_stays_quiet() -> None:
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    for alert in alert_names():
        own = [case for case in cases if case["alertname"] == alert]
        assert any(case.get("exp_alerts") for case in own), f"{alert}: no test where it fires"
        assert any(not case.get("exp_alerts") for case in own), f"{alert}: no test where it stays quiet"


def test_the_rules_and_the_dashboard_name_only_metrics_the_agent_emits() -> None:
    emitted = emitted_metrics()
    named = set(re.findall(r"\bha_udp_lb_[a-z_]+", RULES.read_text() + (MONITORING / "dashboard.json").read_text()))
    assert named, "the rules name no metric of the agent's"
    assert named <= emitted, f"named but never emitted: {sorted(named - emitted)}"


def test_the_committed_dashboard_is_what_its_builder_makes() -> None:
    built = subprocess.run(
        [str(REPO / "venv" / "bin" / "python"), str(MONITORING / "dashboard.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (MONITORING / "dashboard.json").read_text()
    assert json.loads(built) == json.loads(committed), (
        "run: venv/bin/python monitoring/dashboard.py > monitoring/dashboard.json"
    )


def test_every_dashboard_panel_has_one_query() -> None:
    panels = [p for p in json.loads((MONITORING / "dashboard.json").read_text())["panels"] if p["type"] != "row"]
    assert len(panels) > 10
    assert all(len(panel["targets"]) == 1 and panel["targets"][0]["expr"] for panel in panels)

"""The dev stack on the real daemons in the lab, every scenario once on each data plane it means
something for, each plane as it ships: the kernel plane, and nginx with the exporters' own addresses
(`source: none`, nginx's other way, is judged by tests/test_identity.py and tests/test_netflow.py).
What each drill must show is in ha_udp_lb/lab/drill/trial.py's checks; a failing one is named in the assertion."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ha_udp_lb.lab.drill.report import DrillReport
from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.scenarios import SCENARIOS
from ha_udp_lb.lab.drill.trial import Settings, probed, senders
from ha_udp_lb.lab.host.control import keepalived_pids, keepalived_scheduling, node_sh
from ha_udp_lb.lab.host.site import down, up, wait_settled
from ha_udp_lb.lab.host.state import LabState
from ha_udp_lb.lab.host.status import report

pytestmark = pytest.mark.lab

PLANES = ["kernel", "nginx"]
RUNS = [(plane, name) for plane in PLANES for name, scenario in SCENARIOS.items() if plane in scenario.planes]


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Iterator[LabState]:
    down()  # a lab left by an earlier, killed run must not make this one fail
    # Enough exporters that at least 32 land on the collector the collector scenarios lose.
    state = up("dev", exporters=120, overrides={"dataPlane": request.param})
    try:
        yield state
    finally:
        down()


@pytest.mark.parametrize("lab", PLANES, indirect=True)
def test_status_shows_every_vip_on_its_preferred_node_and_every_node_healthy(lab: LabState) -> None:
    rows = [line.split() for line in report(lab).splitlines()]
    for vip in lab.vips:
        assert [vip.address, vip.preferred, vip.preferred] in rows, f"{vip.address} not on {vip.preferred}"
    for node in lab.nodes:
        (row,) = [r for r in rows if r[:2] == [node.name, node.address]]
        assert row[-3:] == ["processes", "running", "healthy"], row
    collectors = [r for r in rows if len(r) == 6 and r[0] in {p.name for p in lab.pools} and ":" in r[1]]
    assert collectors and all(r[3:5] == ["up", "up"] for r in collectors), collectors


@pytest.mark.parametrize("lab", ["kernel"], indirect=True)
def test_keepalived_runs_real_time_also_after_its_vrrp_child_is_respawned(lab: LabState) -> None:
    victim = lab.nodes[-1]
    for node in lab.nodes:
        assert keepalived_scheduling(node) == ["SCHED_RR", "SCHED_RR"], node.name
    killed = keepalived_pids(victim)[1:]
    node_sh(victim, f"kill -KILL {' '.join(killed)}")
    respawned = _until(lambda: keepalived_pids(victim)[1:] not in ([], killed), seconds=5)
    assert respawned, f"keepalived on {victim.name} did not respawn its VRRP child"
    assert _until(lambda: keepalived_scheduling(victim) == ["SCHED_RR", "SCHED_RR"], seconds=1)
    wait_settled(lab)  # the drills that follow start from every VIP on its preferred node


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(("lab", "name"), RUNS, indirect=["lab"], ids=[f"{lab}-{name}" for lab, name in RUNS])
def test_scenario(lab: LabState, name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    settings = Settings(duration_s=3.0)
    result = run(lab, scenario, trials=1, settings=settings, out=tmp_path)
    trial = result.trials[0]
    assert not trial.failed, f"{name}: {trial.failed}; {trial.holders_after=}, {trial.lost=}, {trial.moved=}"
    # The checks a scenario must carry, so that an empty list above cannot pass by accident.
    assert "every VIP on exactly one node" in trial.checks
    assert ("no datagram lost" in trial.checks) == scenario.zero_loss
    assert DrillReport.load(tmp_path / "drill.json") == result
    assert (tmp_path / "timeline.png").stat().st_size > 10_000
    # Every exporter sent to every probed pool for the whole trial: nothing was cut short.
    per_flow = int(settings.rate * (scenario.duration_s or settings.duration_s))
    assert trial.sent == len(senders(lab, scenario)) * len(probed(lab, scenario)) * per_flow

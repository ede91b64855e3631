"""The dev stack on the real daemons in the lab: every scenario once, judged on what users need.
What each drill must show is in lab/drill.py's checks; a failing one is named in the assertion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.drill import Settings, run
from lab.scenarios import SCENARIOS
from lab.site import down, up
from lab.state import LabState
from lab.status import report

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[LabState]:
    down()  # a lab left by an earlier, killed run must not make this one fail
    state = up("dev")
    try:
        yield state
    finally:
        down()


def test_up_brings_every_vip_to_its_preferred_node_with_healthy_daemons(lab: LabState) -> None:
    text = report(lab)
    for vip in lab.vips:
        assert f"{vip.address:<16} {vip.preferred:<12} {vip.preferred}" in text
    assert text.count("running     healthy") == len(lab.nodes), text


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(lab: LabState, name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[name]
    result = run(lab, scenario, trials=1, settings=Settings(duration_s=3.0), out=tmp_path)
    trial = result["trials"][0]
    failed = [check for check, ok in trial["checks"].items() if not ok]
    assert not failed, f"{name}: {failed}; {trial['holders_after']=}, {trial['lost']=}, {trial['moved']=}"
    # The checks a scenario must carry, so that an empty list above cannot pass by accident.
    assert "every VIP on exactly one node" in trial["checks"]
    assert ("no datagram lost" in trial["checks"]) == scenario.zero_loss
    assert (tmp_path / "timeline.png").stat().st_size > 10_000
    assert trial["sent"] == 4 * len(lab.pools) * 600

"""Collectors whose hosts drop ICMP echo (many clouds, hardened networks), checked as the README says
to check them there: `probe: http` on the collector's own health endpoint (the lab's sinks answer on
:8080, as goflow2 does) with `echo: false`. On the kernel plane with 120 exporters: no collector looks
dead while all live, a killed one's exporters are re-homed (a refused connect is one piece of evidence,
as a port unreachable is) and nobody else's move. With echo left on there, every collector looks
silent and each pool panics to all of them: reported as all silent, not as the collectors failing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.scenarios import SCENARIOS
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.control import health_view
from ha_udp_lb.lab.host.echo_filtered import WITHOUT_ECHO, drop_echo
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, Overrides
from tests.node_readings import metric

pytestmark = pytest.mark.lab

WITH_ECHO: Overrides = {"dataPlane": "kernel"}


def _lab(overrides: Overrides) -> Iterator[LabState]:
    down()
    state = up("dev", exporters=120, overrides=overrides)
    try:
        for backend in state.backends:
            drop_echo(backend)
        yield state
    finally:
        down()


@pytest.fixture(scope="module")
def without_echo() -> Iterator[LabState]:
    yield from _lab(WITHOUT_ECHO)


def test_no_collector_looks_dead_while_every_one_lives(without_echo: LabState) -> None:
    time.sleep(3)  # 60 checks of every collector by every node
    for node in without_echo.nodes:
        views = health_view(node)["pools"]
        down_now = [f"{p}/{b}" for p, backends in views.items() for b, v in backends.items() if not v["up"]]
        assert not down_now, f"{node.name} judges {down_now} dead"
        assert not health_view(node).get("transitions"), f"{node.name} saw a collector go down"


def test_a_killed_collectors_exporters_are_re_homed_and_nobody_elses(without_echo: LabState, tmp_path: Path) -> None:
    result = run(without_echo, SCENARIOS["collector-kill"], trials=1, settings=Settings(duration_s=3.0), out=tmp_path)
    trial = result.trials[0]
    assert not trial.failed, f"{trial.failed}; {trial.lost=}, {trial.moved=}"


@pytest.fixture
def with_echo() -> Iterator[LabState]:
    yield from _lab(WITH_ECHO)


def test_with_echo_left_on_the_pools_panic_and_say_the_network_is_silent(with_echo: LabState) -> None:
    node = with_echo.nodes[0]
    assert metric(node, 'ha_udp_lb_pool_all_silent{pool="netflow"}', wait_s=10, until=1) == 1
    assert metric(node, 'ha_udp_lb_pool_panicking{pool="netflow"}', wait_s=5, until=1) == 1

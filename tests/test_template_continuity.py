"""Template continuity on the lab with real collectors: a collector killed while its NetFlow v9 and
IPFIX exporters send only data (their templates went out once, minutes before the next refresh), on
each data plane, and after a node failover; nfcapd behind the kernel plane, pmacct's nfacctd behind
nginx. Every record a moved exporter sends after the failover window is decoded right at its new
collector — which has it only because the node replayed the exporter's templates there (with
`templateReplay: false` it decodes none: bench/template_gap.py measures both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ha_udp_lb.lab.drill.template_gap import drill
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, Overrides
from tests.node_readings import master, metric

pytestmark = pytest.mark.lab

PLANES: dict[str, tuple[Overrides, str, float]] = {
    "kernel": ({"dataPlane": "kernel"}, "nfcapd", 0.5),
    "nginx": ({"dataPlane": "nginx"}, "nfacctd", 1.0),
}
"""Plane → its settings, the collector behind it, and the failover window after the kill: the kernel
plane re-homes in ~0.1 s, nginx once its reload's new workers take over (BENCHMARKS.md)."""


@pytest.fixture(params=sorted(PLANES))
def lab(request: pytest.FixtureRequest) -> Iterator[tuple[LabState, str, float]]:
    overrides, kind, window_s = PLANES[request.param]
    down()
    state = up("dev", exporters=10, collectors={"netflow": kind}, overrides=overrides)
    try:
        yield state, kind, window_s
    finally:
        down()


def test_a_moved_exporter_is_decoded_at_its_new_collector_at_once(lab: tuple[LabState, str, float]) -> None:
    state, kind, window_s = lab
    outcomes = drill(state, kind, window_s)
    moved = [o for o in outcomes if o.moved]
    assert moved and {o.version for o in moved} == {9, 10}, f"the kill must move both kinds: {outcomes}"
    for outcome in outcomes:
        assert outcome.wrong == 0, f"{kind} decoded records exporter {outcome.exporter} never sent: {outcome}"
        assert outcome.unscaled == 0, f"{kind} decoded sampled records without their interval: {outcome}"
        assert outcome.decoded_after == outcome.sent_after, f"{kind} lost records after the window: {outcome}"
    replayed = metric(master(state, "netflow"), 'ha_udp_lb_template_replays_total{pool="netflow"}')
    assert replayed is not None and replayed >= len(moved)


@pytest.fixture
def kernel_lab() -> Iterator[LabState]:
    down()
    state = up("dev", exporters=10, collectors={"netflow": "nfcapd"}, overrides={"dataPlane": "kernel"})
    try:
        yield state
    finally:
        down()


def test_the_node_that_takes_the_vip_over_has_the_templates_already(kernel_lab: LabState) -> None:
    """The master's cable pulled, and a collector killed 1 s later: the new master replays templates it
    never received from an exporter (its peer shared them), and every moved exporter is decoded at once."""
    outcomes = drill(kernel_lab, "nfcapd", PLANES["kernel"][2], kill_after_s=2.5, failover_after_s=1.5)
    moved = [o for o in outcomes if o.moved]
    assert moved, f"the kill must move exporters: {outcomes}"
    for outcome in outcomes:
        assert outcome.wrong == outcome.unscaled == 0 and outcome.decoded_after == outcome.sent_after, outcome

"""Template continuity on the lab with real collectors: a collector killed while its NetFlow v9 and
IPFIX exporters send only data (their templates went out once, minutes before the next refresh), on
each data plane, and after a node failover; nfcapd behind the kernel plane, pmacct's nfacctd behind
nginx. Every record a moved exporter sends after the failover window is decoded right at its new
collector — which has it only because the node replayed the exporter's templates there (with
`templateReplay: false` it decodes none: bench/template_gap.py measures both). A deploy that moves
exporters (a weight raised) loses none of their records: the collectors got the templates before the
new table moved anyone."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.lab.agents.flow_exporter import RECORDS_PER_PACKET, records
from ha_udp_lb.lab.drill.netflow import decoded_by_collector
from ha_udp_lb.lab.drill.template_gap import drill
from ha_udp_lb.lab.drill.template_reweight import drill as reweight_drill
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, Overrides, PoolState
from ha_udp_lb.node_agent.template_cache import MAX_TEMPLATES
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


def test_a_collector_that_returns_decodes_its_exporters_at_once(kernel_lab: LabState) -> None:
    """The killed collector starts again, empty, 1 s later; after the hold-down (5 s) its exporters come
    back to it, and it decodes them at once: the node replayed their templates to it."""
    outcomes = drill(kernel_lab, "nfcapd", PLANES["kernel"][2], packets=550, revive_after_s=2.5)
    moved = [o for o in outcomes if o.moved]
    assert moved, f"the kill must move exporters: {outcomes}"
    for outcome in outcomes:
        assert outcome.wrong == outcome.unscaled == 0 and outcome.decoded_after == outcome.sent_after, outcome
    assert all(o.back_home > 0 for o in moved), f"the exporters must be back at their collector: {moved}"


def test_a_deploy_that_moves_exporters_loses_none_of_their_records(kernel_lab: LabState) -> None:
    """One collector's weight raised from 1 to 3 and rolled out as `pulumi up` does, while the exporters
    send only data: `apply` gives every collector the kept templates before it loads the new table, so
    each exporter the new table moves is decoded from its first record at its new collector (when the
    replay followed the table, 100–140 ms of each moved exporter's records were lost)."""
    moved = reweight_drill(kernel_lab, "nfcapd")
    assert moved, "the new weight must move exporters"
    assert [m.lost for m in moved] == [0] * len(moved), moved


def test_a_template_flood_costs_bounded_memory_and_stops_no_forwarding(kernel_lab: LabState) -> None:
    """One exporter floods hostile template packets (a run of 20 new template IDs in each, lengths that
    lie, 65,535 fields: 1,500 in 2 s; at 2,000 nfcapd itself once lost 3 of 100 of another's packets)
    while the others send their flows: every one of theirs is decoded right, and the master's agent
    keeps turning, with at most MAX_TEMPLATES templates per flooding exporter key."""
    pool = next(p for p in kernel_lab.pools if p.name == "netflow")
    *flows, flooder = kernel_lab.exporters
    senders = [_flow_exporter(pool, e.index, e.netns, e.address) for e in flows]
    flood = ["ha_udp_lb.lab.agents.template_flood", flooder.address, f"{pool.vip}:{pool.port}", "1500", "2"]
    flooding = subprocess.run(
        ["ip", "netns", "exec", flooder.netns, sys.executable, "-m", *flood], capture_output=True, text=True, timeout=30
    )
    assert all(sender.wait(timeout=60) == 0 for sender in senders)
    time.sleep(1.0)  # the last packets read by nfcapd before it is stopped (it loses what it has not read)
    node = master(kernel_lab, "netflow")
    kept = metric(node, "ha_udp_lb_templates_kept")
    assert int(flooding.stdout) == 1500 and kept is not None and kept <= MAX_TEMPLATES * 2 + len(flows)
    assert (metric(node, "ha_udp_lb_agent_last_turn_timestamp_seconds") or 0) > time.time() - 5
    decoded = decoded_by_collector(kernel_lab, pool)
    for exporter in flows:
        sent = set(records(exporter.index, FLOOD_PACKETS * RECORDS_PER_PACKET))
        got = [flow for per in decoded.values() for router, flow in per if router == exporter.address]
        assert set(got) == sent and len(got) == len(sent), f"exporter {exporter.index}: {len(got)} of {len(sent)}"


FLOOD_PACKETS = 100


def _flow_exporter(pool: PoolState, index: int, netns: str, address: str) -> subprocess.Popen[bytes]:
    """NetFlow v9, template first and every 20 packets, 100 packets at 50/s: what a router sends."""
    argv = ["ha_udp_lb.lab.agents.flow_exporter", address, f"{pool.vip}:{pool.port}", "9", str(index)]
    argv += [str(FLOOD_PACKETS), "20", "50"]
    return subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-m", *argv], stdout=subprocess.DEVNULL)

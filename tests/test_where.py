"""`ha-udp-lb where` (issue 31) against where datagrams really go: 100 exporters of the dev stack's
netflow pool, on each data plane, each sending; every one arrives at exactly the collector `where`
names from the nodes' live tables — before a collector dies, and after, when only the dead one's
exporters moved. And what the nodes count per collector is what the collectors received. The commands
reach the lab's nodes the lab's way (a booted host's test reaches them over SSH: test_hosts)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.host.control import node_sh, received_others, start_backend, stop_backend
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, Overrides, lab_config
from ha_udp_lb.operate.commands import status, where
from ha_udp_lb.operate.reach import NodeUnreachable, Run
from ha_udp_lb.operate.readings import parse
from tests.node_readings import arrivals, endpoint, master, metric, pool

pytestmark = pytest.mark.lab

PLANES: dict[str, Overrides] = {
    "kernel": {"dataPlane": "kernel"},
    "nginx-transparent": {"dataPlane": "nginx", "source": "transparent"},
}
EXPORTERS, POOL, SENT = 100, "netflow", 20


@pytest.fixture(scope="module", params=sorted(PLANES))
def lab(request: pytest.FixtureRequest) -> Iterator[tuple[str, LabState, Stack]]:
    down()
    state = up("dev", exporters=EXPORTERS, overrides=PLANES[request.param])
    try:
        yield request.param, state, parse_stack(lab_config("dev", PLANES[request.param]))
    finally:
        down()


def in_lab(state: LabState) -> Run:
    def run(node: Node, command: str) -> str:
        said = node_sh(state.node(node.name), command, timeout=20)
        if said.returncode != 0:
            raise NodeUnreachable(said.stderr)
        return said.stdout

    return run


def test_where_names_the_collector_every_exporter_reaches_before_and_after_one_dies(
    lab: tuple[str, LabState, Stack],
) -> None:
    plane, state, stack = lab
    run, victim = in_lab(state), state.backend(pool(state, POOL).backends[0][0])
    before = {a.exporter: a.collector for a in where(stack, POOL, [e.address for e in state.exporters], run)}
    assert arrivals(state, POOL, SENT) == {address: {collector} for address, collector in before.items()}, plane

    stop_backend(victim)
    try:
        dead = f"{victim.address}:{pool(state, POOL).backends[0][1]}"
        assert metric(master(state, POOL), f'ha_udp_lb_collector_up{{pool="{POOL}",collector="{dead}"}}', 10, 0) == 0
        after = {a.exporter: a.collector for a in where(stack, POOL, [e.address for e in state.exporters], run)}
        assert arrivals(state, POOL, SENT) == {a: {c} for a, c in after.items()}, plane
    finally:
        start_backend(victim)
    moved = {a for a in before if after[a] != before[a]}
    assert moved == {a for a, c in before.items() if c == dead}, f"{plane}: exporters of live collectors moved"
    assert moved, f"{plane}: none of the 100 exporters was on the killed collector: nothing was shown"


def test_what_the_nodes_count_per_collector_is_what_each_received(lab: tuple[str, LabState, Stack]) -> None:
    plane, state, _ = lab
    counted_before = _counted(state)
    received_before = Counter(endpoint(d) for b in state.backends for d in received_others(b))
    arrivals(state, POOL, SENT)
    time.sleep(1.5)  # the agents write their metrics each second
    counted = _counted(state) - counted_before
    received = Counter(endpoint(d) for b in state.backends for d in received_others(b)) - received_before
    assert sum(received.values()) == EXPORTERS * SENT, f"{plane}: the lab lost datagrams"
    for collector, count in received.items():
        assert abs(counted[collector] - count) <= 0.01 * count, f"{plane} {collector}: {counted[collector]} vs {count}"


def _counted(state: LabState) -> Counter[str]:
    counted: Counter[str] = Counter()
    for node in state.nodes:
        readings = parse(node_sh(node, f"cat {PATHS.metrics}", timeout=10).stdout)
        for sample in readings.get("ha_udp_lb_collector_datagrams_total", []):
            counted[sample.labels["collector"]] += int(sample.value)
    return counted


def test_status_shows_holders_roles_collectors_and_agents(lab: tuple[str, LabState, Stack]) -> None:
    _, state, stack = lab
    shown = status("dev", stack, in_lab(state))
    print(shown)
    first, second = state.nodes
    assert "NOT REACHED" not in shown and "DEPLOYMENTS DIFFER" not in shown, shown
    assert f"198.18.0.100      {first.name}" in shown and f"198.18.0.101      {second.name}" in shown, shown
    assert "MASTER (150)" in shown and "BACKUP (100)" in shown, shown
    assert shown.count(" up up ") >= 10 and "DOWN" not in shown, shown
    assert shown.count("in step") == 2, shown

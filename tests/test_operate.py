"""Operating a stack (issue 31) in the lab, on each data plane with 100 exporters: `ha-udp-lb where`
against where datagrams really go (every exporter at exactly the collector it names from the nodes' live
tables, before a collector dies and after, when only the dead one's exporters moved), what the nodes
count per collector against what the collectors received, and `status`. Then, on nginx (so that the
nginx-only panels have data too), a real Prometheus scraping every node's agent and evaluating the
shipped rules (monitoring/alerts.yml): each failure an operator is woken for fires its alert within the
rule's `for:` plus a scrape and resolves (lab.drill.alerts), and every dashboard panel's query answers.
The commands reach the lab's nodes the lab's way (over SSH on booted hosts: tests/hosts_operate.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO
from ha_udp_lb.core.render_kernel import kernel_id
from ha_udp_lb.lab.drill.alerts import agent_killed_and_no_vip, split_brain_and_collector_down
from ha_udp_lb.lab.drill.counts import counted_by_nodes, received_by_collectors
from ha_udp_lb.lab.host.control import node_sh, start_backend, stop_backend
from ha_udp_lb.lab.host.prometheus import SCRAPE_S, LabPrometheus, start
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, Overrides, lab_config
from ha_udp_lb.operate.commands import status, where
from ha_udp_lb.operate.reach import NodeUnreachable, Run
from tests.node_readings import arrivals, master, metric, pool

pytestmark = pytest.mark.lab

PLANES: dict[str, Overrides] = {
    "kernel": {"dataPlane": "kernel"},
    "nginx-transparent": {"dataPlane": "nginx", "source": "transparent"},
}
EXPORTERS, POOL, SENT = 100, "netflow", 20
EVALUATION_S = SCRAPE_S
"""The rules are evaluated as often as the nodes are scraped: an alert may fire one scrape plus one
evaluation after its `for:` ends."""
Lab = tuple[str, LabState, Stack]


@pytest.fixture(scope="module", params=sorted(PLANES))
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    down()
    state = up("dev", exporters=EXPORTERS, overrides=PLANES[request.param])
    try:
        yield request.param, state, parse_stack(lab_config("dev", PLANES[request.param]))
    finally:
        down()


@pytest.fixture(scope="module")
def prometheus(lab: Lab) -> LabPrometheus:
    """Started for the first test that asks, in that lab; `lab down` removes it with the lab."""
    return start(lab[1], stack="dev")


def in_lab(state: LabState) -> Run:
    def run(node: Node, command: str) -> str:
        said = node_sh(state.node(node.name), command, timeout=20)
        if said.returncode != 0:
            raise NodeUnreachable(said.stderr)
        return said.stdout

    return run


def test_where_names_where_every_exporter_arrives_and_the_nodes_count_what_each_collector_got(lab: Lab) -> None:
    plane, state, stack = lab
    run, victim = in_lab(state), state.backend(pool(state, POOL).backends[0][0])
    before = {a.exporter: a.collector for a in where(stack, POOL, [e.address for e in state.exporters], run)}
    counted_before, received_before = counted_by_nodes(state), received_by_collectors(state)
    assert arrivals(state, POOL, SENT) == {address: {collector} for address, collector in before.items()}, plane
    time.sleep(1.0)  # the agents write their metrics each second
    counted, received = counted_by_nodes(state) - counted_before, received_by_collectors(state) - received_before
    assert sum(received.values()) == EXPORTERS * SENT, f"{plane}: the lab lost datagrams"
    for collector, count in received.items():
        assert abs(counted[collector] - count) <= 0.01 * count, f"{plane} {collector}: {counted[collector]} vs {count}"

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


@pytest.mark.parametrize("lab", ["kernel"], indirect=True)
def test_status_shows_holders_roles_collectors_and_agents(lab: Lab) -> None:
    _, state, stack = lab
    for node in state.nodes:  # the collector killed above is back, past its hold-down
        metric(node, f'ha_udp_lb_collector_up{{pool="{POOL}",collector="198.18.0.21:2055"}}', 15, 1)
    shown = status("dev", stack, in_lab(state))
    first, second = state.nodes
    assert "NOT REACHED" not in shown and "DEPLOYMENTS DIFFER" not in shown, shown
    assert f"198.18.0.100      {first.name}" in shown and f"198.18.0.101      {second.name}" in shown, shown
    assert "MASTER (150)" in shown and "BACKUP (100)" in shown, shown
    assert shown.count(" up up ") >= 10 and "DOWN" not in shown, shown
    assert shown.count("in step") == 2, shown


@pytest.mark.parametrize("lab", ["kernel"], indirect=True)
def test_the_counters_survive_an_agent_restart(lab: Lab) -> None:
    """They are the kernel's: the agent killed and started again (as its unit restarts it) reports each
    collector's count as it was, not less, so that `rate()` sees no reset that did not happen."""
    _, state, _ = lab
    node = master(state, POOL)
    before = counted_by_nodes(state)
    agent = f"PYTHONPATH={PATHS.agent_dir} setsid python3 -m {PATHS.agent_module} run {PATHS.health_config}"
    node_sh(node, f"kill -KILL $(cat {PATHS.health_pid}); rm -f {PATHS.metrics}")
    node_sh(node, f"{agent} </dev/null >>{PATHS.health_log} 2>&1 & echo $! > {PATHS.health_pid}")
    assert metric(node, "ha_udp_lb_agent_in_step", 15, 1) == 1, "the agent did not come back"
    after = counted_by_nodes(state)
    # Never less; a little more where the restarted agent replayed the templates it keeps (netflow).
    assert sum(before.values()) > 0 and all(after[c] >= n for c, n in before.items()), f"{before} then {after}"


@pytest.mark.parametrize("lab", ["kernel"], indirect=True)
def test_slots_changed_behind_the_agents_back_are_put_back_and_counted(lab: Lab) -> None:
    """Someone's `nft` (a hand edit, another program) points 100 of the pool's slots at an address that
    is no collector: the agent, which reads the maps whenever the ruleset's generation moves, puts
    exactly those back and counts them, and every exporter arrives where `where` says again."""
    _, state, stack = lab
    node = master(state, POOL)
    series = f'ha_udp_lb_kernel_slots_restored_total{{pool="{POOL}"}}'
    before = metric(node, series) or 0
    slots = range(100)
    table, name = f"inet {PATHS.kernel_table}", f"{kernel_id(POOL)}_addrs"
    edit = (
        f"delete element {table} {name} {{ {', '.join(map(str, slots))} }}\n"
        f"add element {table} {name} {{ {', '.join(f'{slot} : 198.18.0.99' for slot in slots)} }}\n"
    )
    node_sh(node, f"nft -f - <<'EOF'\n{edit}EOF")
    assert metric(node, series, wait_s=10, until=before + len(slots)) == before + len(slots)
    listed = node_sh(node, f"nft list map {table} {name}").stdout
    assert "198.18.0.99" not in listed, "a slot still names the address someone else put there"
    said = where(stack, POOL, [e.address for e in state.exporters], in_lab(state))
    assert arrivals(state, POOL, SENT) == {a.exporter: {a.collector} for a in said}


@pytest.mark.parametrize("lab", ["nginx-transparent"], indirect=True)
def test_failures_fire_their_alerts_in_time_and_resolve(lab: Lab, prometheus: LabPrometheus) -> None:
    """Each alert fires within its `for:` + a scrape + an evaluation (+ the lab's polling and the
    collector's own detection, ~0.5 s), and resolves once the failure is undone."""
    _, state, _ = lab
    metric(master(state, "syslog"), "ha_udp_lb_agent_in_step", 15, 1)  # the collector killed above is back
    assert not prometheus.firing(), "alerts fire before any failure"
    fired = split_brain_and_collector_down(state, prometheus, "syslog")
    second, roles = agent_killed_and_no_vip(state, prometheus)
    fired += second
    print({f.alert: (round(f.after_s, 1), round(f.resolved_s, 1)) for f in fired})  # BENCHMARKS.md: bench/alerts.py
    assert roles == {"STOP"}, f"keepalived stopped everywhere, yet the nodes report {roles}"
    slack = SCRAPE_S + EVALUATION_S + 1.5
    late = {f.alert: round(f.after_s, 1) for f in fired if f.after_s > f.wait_s + slack}
    assert not late, f"fired later than for: + {slack} s: {late}"


@pytest.mark.parametrize("lab", ["nginx-transparent"], indirect=True)
def test_every_dashboard_panel_has_data(lab: Lab, prometheus: LabPrometheus) -> None:
    """After the drill above (so that the VIPs have moved, and every rate has its samples)."""
    panels = json.loads((REPO / "monitoring" / "dashboard.json").read_text())["panels"]
    queries = {
        p["title"]: p["targets"][0]["expr"].replace("$__rate_interval", "15s")
        for p in panels
        if p["type"] != "row" and not p["description"].startswith("routing: bgp")
    }
    empty = [title for title, expr in queries.items() if not prometheus.query(expr)]
    assert not empty, f"panels with no series: {empty}"

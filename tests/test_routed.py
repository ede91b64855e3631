"""routing: bgp in the routed lab: the bgp stack's three nodes on two subnets announce the VIP to a
router running FRR with ECMP; every drill once (what each must show is ha_udp_lb/lab/routed/trial.py's checks,
a failing one named in the assertion). The plane-lost drill is the test that a node withdraws when its
data plane is gone: a node that kept announcing would leave the router sending to it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.alerts import rule_waits
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host import netns
from ha_udp_lb.lab.host.control import node_sh
from ha_udp_lb.lab.host.prometheus import SCRAPE_S, start
from ha_udp_lb.lab.host.site import down
from ha_udp_lb.lab.host.state import LAB_DIR, LabState
from ha_udp_lb.lab.routed import router
from ha_udp_lb.lab.routed.scenarios import ROUTED_SCENARIOS
from ha_udp_lb.lab.routed.site import COLLECTORS, exporter_nodes, up
from ha_udp_lb.lab.routed.trial import run_trial

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[LabState]:
    down()  # a lab left by an earlier, killed run must not make this one fail
    state = up("bgp")
    try:
        yield state
    finally:
        down()


def test_every_node_announces_and_the_router_spreads_exporters_over_all_of_them(lab: LabState) -> None:
    assert lab.router is not None
    addresses = sorted(n.address for n in lab.nodes)
    assert router.nexthops(lab.router, lab.vips[0].address) == addresses
    spread = exporter_nodes(lab)
    assert set(spread.values()) == set(addresses), spread
    for node in lab.nodes:
        said = node_sh(node, "vtysh -c 'show bgp summary json'").stdout
        assert '"state":"Established"' in said.replace(" ", ""), f"{node.name}: {said[:400]}"
        assert lab.vips[0].address in node_sh(node, "ip -4 addr show dev lo").stdout


def test_the_nodes_own_files_judged_by_frr_and_ours_on_every_node(lab: LabState) -> None:
    for node in lab.nodes:
        assert node_sh(node, f"vtysh --dryrun -f {PATHS.frr_conf}").returncode == 0
        assert "Rendered by ha-udp-lb" in node_sh(node, f"cat {PATHS.frr_conf}").stdout


@pytest.mark.parametrize("name", list(ROUTED_SCENARIOS))
def test_routed_drill(lab: LabState, name: str) -> None:
    report = run_trial(lab, ROUTED_SCENARIOS[name], 1, Settings(rate=200), LAB_DIR / "sent" / name)
    failed = [check for check, ok in report.checks.items() if not ok]
    assert not failed, f"{name}: {failed}\n{report.as_json()}"


def test_a_drained_node_fires_its_alert_and_the_bgp_panels_have_data(lab: LabState) -> None:
    """Issue 31 on bgp: Debian's Prometheus on the collectors' subnet, routed to the nodes, scraping them;
    the dashboard's bgp panels answer, and a drained node fires HaUdpLbNodeWithdrawn within its `for:`
    plus a scrape, an evaluation and the lab's polling, then resolves once it announces again."""
    prometheus = start(lab, stack="bgp", via=COLLECTORS, bridge=f"{netns.PREFIX}-co")
    panels = json.loads((REPO / "monitoring" / "dashboard.json").read_text())["panels"]
    bgp = [p["targets"][0]["expr"] for p in panels if p.get("description", "").startswith("routing: bgp")]
    assert bgp and all(len(prometheus.query(expr)) == len(lab.nodes) for expr in bgp), bgp
    victim = lab.nodes[0]
    wait = rule_waits()["HaUdpLbNodeWithdrawn"]
    drained = time.monotonic()
    node_sh(victim, f"touch {PATHS.drain_file}")
    try:
        fired = prometheus.wait({"HaUdpLbNodeWithdrawn": {"node": victim.name}}, True, 40)["HaUdpLbNodeWithdrawn"]
    finally:
        node_sh(victim, f"rm -f {PATHS.drain_file}")
    prometheus.wait({"HaUdpLbNodeWithdrawn": {"node": victim.name}}, False, 30)
    assert fired - drained <= wait + SCRAPE_S * 2 + 1.5, f"fired {fired - drained:.1f} s after the drain"

"""routing bgp on real hosts: Debian 13 (FRR 10.3) booted with systemd on two subnets, reached over
SSH, deployed by the real `pulumi up` (runner.engine); the lab's router peers with them. Debian 12's
FRR 8.4 is the routed lab's own (tests/test_routed.py) and its booted hosts run the whole lifecycle
(tests/test_hosts.py): here it would add ~95 s to `make test` and nothing else
(`BGP_SUITES=bookworm,trixie` runs both).
Deployed, drilled (the data plane lost, a drain, a reboot), destroyed: each step checked on the hosts
and at the router."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.control import node_sh, unit_states
from ha_udp_lb.lab.host.site import down
from ha_udp_lb.lab.host.state import LAB_DIR, NodeState
from ha_udp_lb.lab.hosts.site import HostsLab
from ha_udp_lb.lab.routed import router
from ha_udp_lb.lab.routed.host_scenarios import HOST_DRILLS, two_nodes
from ha_udp_lb.lab.routed.run import trial_line
from ha_udp_lb.lab.routed.scenarios import RoutedScenario
from ha_udp_lb.lab.routed.site import up_on_hosts, wait_announced
from ha_udp_lb.lab.routed.trial import run_trial
from ha_udp_lb.runner.engine import STACK_REFERENCE

pytestmark = pytest.mark.hosts

SUITES = os.environ.get("BGP_SUITES", "trixie").split(",")
UNITS = ["frr", PATHS.health_unit_name]


@pytest.mark.parametrize("suite", SUITES)
def test_bgp_on_booted_hosts_over_ssh(suite: str) -> None:
    down()
    config = two_nodes("bgp")
    lab = up_on_hosts("bgp", suite, exporters=12, config=config)
    try:
        deployed(lab, config)
        failed: dict[str, object] = {}
        for scenario in HOST_DRILLS:
            report = drill(lab, scenario)
            failed |= {f"{scenario.name}: {name}": report for name, ok in report.checks.items() if not ok}
        assert not failed, failed
        destroyed(lab)
    finally:
        down()


def deployed(lab: HostsLab, config: dict[str, Any]) -> None:
    lab.up(config)
    everyone = [n.address for n in lab.state.nodes]
    wait_announced(lab.state, everyone)
    for node in lab.state.nodes:
        assert units(node) == {unit: "active enabled" for unit in UNITS}, node.name
        said = node_sh(node, f"grep -c 'Rendered by ha-udp-lb' {PATHS.frr_conf}; chrt -p $(cat {PATHS.bfdd_pid})")
        assert said.stdout.startswith("1\n") and "SCHED_RR" in said.stdout, (node.name, said.stdout)
    assert lab.up(config).ran() == [], "a second deploy with nothing changed ran steps"


def drill(lab: HostsLab, scenario: RoutedScenario) -> Any:
    report = run_trial(lab.state, scenario, 1, Settings(rate=100), LAB_DIR / "sent" / scenario.name)
    print(trial_line(report), report.events, flush=True)
    return report


def destroyed(lab: HostsLab) -> None:
    """Each node withdraws before anything of it stops: the router drops them, nothing of ours is left,
    and the distribution's FRR is back as it was (stopped and disabled, its own frr.conf)."""
    assert lab.state.router is not None
    steps = lab.destroy()
    # What was read, the stack's own last outputs, is discarded, never deleted.
    assert {(s.op, s.type == STACK_REFERENCE) for s in steps.steps} == {("delete", False), ("discard", True)}
    assert router.nexthops(lab.state.router, lab.state.vips[0].address) == []
    for node in lab.state.nodes:
        assert units(node) == {"frr": "inactive disabled", PATHS.health_unit_name: "inactive absent"}, node.name
        left = node_sh(
            node,
            "find / -xdev \\( -name '*ha-udp-lb*' -o -name '*ha_udp_lb*' \\) -not -path '/proc/*' 2>/dev/null; "
            f"ip -o addr show dev lo | grep -F ' {lab.state.vips[0].address}/'; dpkg --verify frr",
        ).stdout
        assert left == "", (node.name, left)


def units(node: NodeState) -> dict[str, str]:
    return unit_states(node, UNITS)

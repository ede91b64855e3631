"""The routed lab with BIRD 2 as its router instead of FRR (`lab up --router bird`, bench/bgp.py's
`bird:` settings), which is how BENCHMARKS.md tells the router's own time from BFD's: both routers'
configurations judged by their daemons, and with BIRD the router spreads the VIP over every node and
leaves a node killed or cut off (the drills' own checks, once each)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.control import sh_in
from ha_udp_lb.lab.host.site import down
from ha_udp_lb.lab.host.state import LAB_DIR, LabState
from ha_udp_lb.lab.routed import bird_router, router
from ha_udp_lb.lab.routed.scenarios import ROUTED_SCENARIOS
from ha_udp_lb.lab.routed.site import exporter_nodes, up
from ha_udp_lb.lab.routed.trial import run_trial
from ha_udp_lb.runner.stackfile import stack_config

JUDGES = {"frr": ["vtysh", "--dryrun", "-f"], "bird": ["bird", "-p", "-c"]}


@pytest.mark.daemons
@pytest.mark.parametrize("daemon", sorted(router.DAEMONS))
def test_the_routers_configuration_is_judged_by_its_daemon(daemon: str, tmp_path: Path) -> None:
    conf = tmp_path / f"router.{daemon}.conf"
    conf.write_text(router.router_conf(parse_stack(stack_config("bgp")), daemon))
    judged = subprocess.run([*JUDGES[daemon], str(conf)], capture_output=True, text=True, check=False)
    assert judged.returncode == 0, judged.stdout + judged.stderr


@pytest.fixture(scope="module")
def lab() -> Iterator[LabState]:
    down()  # a lab left by an earlier, killed run must not make this one fail
    state = up("bgp", router_daemon="bird")
    try:
        yield state
    finally:
        down()


@pytest.mark.lab
def test_bird_spreads_the_exporters_over_every_node(lab: LabState) -> None:
    assert lab.router is not None and lab.router.daemon == "bird"
    addresses = sorted(n.address for n in lab.nodes)
    assert router.nexthops(lab.router, lab.vips[0].address) == addresses
    assert set(exporter_nodes(lab).values()) == set(addresses)
    threads = sh_in(
        lab.router.init_pid, f"for t in /proc/$(cat {bird_router.PID_FILE})/task/*; do chrt -p ${{t##*/}}; done"
    )
    # BFD's thread alone real-time, as the FRR router's bfdd: what the benchmarks' soaks rely on.
    assert threads.stdout.count("SCHED_RR") == 1 and threads.stdout.count("SCHED_OTHER") == 1, threads.stdout


@pytest.mark.lab
@pytest.mark.parametrize("name", ["node-kill", "link-cut"])
def test_bird_leaves_a_lost_node(lab: LabState, name: str) -> None:
    report = run_trial(lab, ROUTED_SCENARIOS[name], 1, Settings(rate=200), LAB_DIR / "sent" / name)
    failed = [check for check, ok in report.checks.items() if not ok]
    assert not failed, f"{name}: {failed}\n{report.as_json()}"

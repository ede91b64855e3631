"""The dev stack on a real Docker engine: the image built from ha_udp_lb/image/Dockerfile, the containers the
program declares created one-to-one (ha_udp_lb/runner/docker_calls.py), every docker scenario once with ARP
watched, and the ARP fix shown to matter. `sh bench/docker.sh` runs the 20-trial figures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.lab.docker import site
from ha_udp_lb.lab.docker.arp_watch import answers_for
from ha_udp_lb.lab.docker.engine import engine, kernel_default_namespaces
from ha_udp_lb.lab.docker.scenarios import DOCKER_SCENARIOS
from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.netns import netns_run
from ha_udp_lb.lab.host.site import LabError
from ha_udp_lb.lab.host.state import LabState
from tests.base_config import NGINX_SOURCE_NONE

pytestmark = pytest.mark.docker

KERNEL_DEFAULT_ARP = {"net.ipv4.conf.all.arp_ignore": "0", "net.ipv4.conf.all.arp_announce": "0"}


@pytest.fixture(scope="module")
def on_engine() -> Iterator[None]:
    with engine(), kernel_default_namespaces():
        site.down()  # what a killed earlier run left
        yield


PLANES: dict[str, dict[str, str | bool]] = {"nginx": NGINX_SOURCE_NONE, "kernel": {"dataPlane": "kernel"}}
RUNS = [(plane, name) for plane in PLANES for name, s in DOCKER_SCENARIOS.items() if plane in s.planes]


@pytest.fixture(scope="module")
def stack(on_engine: None, request: pytest.FixtureRequest) -> Iterator[LabState]:
    """The dev stack's containers, every pool on the given data plane (the kernel plane needs forwarding
    and per-interface sysctls from the container's creation)."""
    state = site.up("dev", overrides=PLANES[request.param])
    try:
        yield state
    finally:
        site.down()


def test_containers_without_the_programs_sysctls_refuse_to_start(on_engine: None) -> None:
    """At the kernel's defaults a container answers ARP for the VIPs it keeps on lo; apply says so."""
    with pytest.raises(LabError, match=r"net\.ipv4\.conf\.all\.arp_\w+ is 0 on lb\d, needs \d"):
        site.up("dev", sysctls=False)


@pytest.mark.parametrize("stack", ["nginx"], indirect=True)
def test_only_the_master_answers_arp_and_the_check_sees_a_backup_that_would(stack: LabState) -> None:
    vip = stack.vips[0]
    backup = next(n for n in stack.nodes if n.name != vip.preferred)
    assert answers_for(stack, vip.address) == {vip.preferred}
    # The backup's namespace at the kernel's defaults, as without the program's sysctls: the ARP
    # check must then see two nodes answer for one VIP.
    saved = {key: _sysctl(backup.netns, key) for key in KERNEL_DEFAULT_ARP}
    try:
        for key, value in KERNEL_DEFAULT_ARP.items():
            netns_run(backup.netns, "sysctl", "-qw", f"{key}={value}")
        assert answers_for(stack, vip.address) == {vip.preferred, backup.name}
    finally:
        for key, value in saved.items():
            netns_run(backup.netns, "sysctl", "-qw", f"{key}={value}")
    assert answers_for(stack, vip.address) == {vip.preferred}


@pytest.mark.parametrize(("stack", "name"), RUNS, indirect=["stack"], ids=[f"{p}-{n}" for p, n in RUNS])
def test_scenario(stack: LabState, name: str, tmp_path: Path) -> None:
    scenario = DOCKER_SCENARIOS[name]
    trial = run(stack, scenario, trials=1, settings=Settings(), out=tmp_path).trials[0]
    assert not trial.failed, f"{name}: {trial.failed}; {trial.holders_after=}, {trial.lost=}, {trial.observations=}"
    assert any(check.startswith("no VIP answered by two live nodes") for check in trial.checks)
    assert int(str(trial.observations["arp_samples"])) > 300  # every 10 ms through the whole trial
    assert ("no datagram lost" in trial.checks) == scenario.zero_loss
    assert any(check.startswith("nothing lost from") for check in trial.checks) == bool(scenario.zero_loss_from)


def _sysctl(ns: str, key: str) -> str:
    return netns_run(ns, "sysctl", "-n", key).stdout.strip()


SCRAPE = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"


@pytest.mark.parametrize("stack", ["nginx"], indirect=True)
def test_every_container_serves_its_metrics_to_a_scraper_on_the_network(stack: LabState) -> None:
    """As Prometheus would scrape them: from another host on the network, the node's address, port 9955."""
    vip = stack.vips[0]
    for node in stack.nodes:
        url = f"http://{node.address}:9955/metrics"
        text = netns_run(stack.exporters[0].netns, sys.executable, "-c", SCRAPE, url).stdout
        state = "MASTER" if node.name == vip.preferred else "BACKUP"
        address = vip.address.split("/")[0]
        assert f'ha_udp_lb_vrrp_state{{vip="{address}",instance="VI_51",state="{state}"}} 1' in text, text[:2000]
        assert 'ha_udp_lb_collector_up{pool="netflow",collector="198.18.0.21:2055"} 1' in text, node.name

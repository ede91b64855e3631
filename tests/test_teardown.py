"""The node teardown the program ships as its ssh nodes' delete (ha_udp_lb/components/ssh_host.py), run on a lab
node as `pulumi destroy` or dropping the node would: it leaves VRRP at once, its peer takes every VIP,
and nothing of ours is left on it — no daemon, VIP, table, unit or file. While another staging step
still holds the node, it removes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render import render_teardown
from ha_udp_lb.lab.host.control import daemons, holders, node_sh
from ha_udp_lb.lab.host.netns import netns_run
from ha_udp_lb.lab.host.site import down, up, wait_settled
from ha_udp_lb.lab.host.state import LabState

pytestmark = pytest.mark.lab

WATCH_S = 3.0
"""Long enough for a node that still ran VRRP to claim the VIPs (3 adverts + skew, ~0.1 s) many times."""


@pytest.fixture
def lab() -> Iterator[LabState]:
    down()
    state = up("dev", exporters=1)
    try:
        yield state
    finally:
        down()


def test_a_torn_down_node_never_claims_a_vip_again_and_keeps_nothing_of_ours(lab: LabState) -> None:
    settled = wait_settled(lab)
    leaving = lab.node(lab.vips[0].preferred)
    staying = next(n for n in lab.nodes if n is not leaving)
    # Held by a second staging step (a rename's or a `--replace`'s new one): this delete leaves it be.
    node_sh(leaving, f"mkdir -p {PATHS.owners.rsplit('/', 1)[0]} && echo 2 > {PATHS.owners}")
    kept = node_sh(leaving, render_teardown())
    assert "still held by 1 staging step" in kept.stdout, kept.stdout + kept.stderr
    assert node_sh(leaving, f"cat {PATHS.owners}").stdout == "1\n"
    assert holders(lab) == settled and daemons(leaving).get("keepalived"), holders(lab)
    result = node_sh(leaving, render_teardown())
    assert result.returncode == 0, result.stdout + result.stderr
    deadline = time.monotonic() + WATCH_S
    while time.monotonic() < deadline:
        held = holders(lab)
        assert all(leaving.name not in nodes for nodes in held.values()), held
        time.sleep(0.02)
    assert holders(lab) == {vip.address: [staying.name] for vip in lab.vips}
    assert not {"keepalived", "nginx"} & {name for name, count in daemons(leaving).items() if count}
    addresses = netns_run(leaving.netns, "ip", "-o", "addr", "show").stdout
    assert not [vip.address for vip in lab.vips if f" {vip.address}/" in addresses], addresses
    assert PATHS.kernel_table not in netns_run(leaving.netns, "nft", "list", "tables").stdout
    left = node_sh(leaving, f"ls -d {PATHS.agent_dir} {PATHS.scripts} {PATHS.keepalived_conf} {PATHS.sysctl} 2>&1")
    assert left.stdout.count("No such file") == 4, left.stdout

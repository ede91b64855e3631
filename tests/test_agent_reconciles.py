"""The health agent reconciles until the node runs what its verdicts say (issue 29), on the real nginx
in the lab: a collector dies while nginx refuses every change (a broken file beside the pool files, as a
hand edit or a half-finished rollout would leave); the agent says it is out of step, keeps trying, and
re-homes the dead collector's exporters once the fault clears — before, it logged the refusal and tried
again only at the next verdict change, so the dead collector kept its exporters indefinitely."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.agents.datagrams import payload
from ha_udp_lb.lab.agents.flood import SIZE
from ha_udp_lb.lab.host.control import node_sh, received_others, stop_backend
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import ExporterState, LabState, NodeState
from tests.node_readings import master, metric, pool

pytestmark = pytest.mark.lab

POOL = "syslog"
BROKEN = f"{PATHS.pool_dir}/zz-broken.conf"
IN_STEP = "ha_udp_lb_agent_in_step"


@pytest.fixture(scope="module")
def lab() -> Iterator[LabState]:
    down()
    state = up("dev", exporters=12, overrides={"dataPlane": "nginx", "source": "transparent"})
    try:
        yield state
    finally:
        down()


def test_a_change_nginx_refuses_is_tried_again_until_the_dead_collectors_exporters_move(lab: LabState) -> None:
    holder = master(lab, POOL)
    homes = _homes(lab, seed=1)
    victim = max(set(homes.values()), key=list(homes.values()).count)
    for node in lab.nodes:
        node_sh(node, f"echo 'not a directive;' > {BROKEN}")
    try:
        stop_backend(lab.backend(victim))
        assert metric(holder, IN_STEP, until=0) == 0, "the agent does not say it is out of step"
        time.sleep(2)
        assert victim not in _marked_down(holder), "nginx took a change it should have refused"
        failures = metric(holder, "ha_udp_lb_agent_sync_failures_total") or 0
        assert failures >= 3, f"tried {failures:g} times in 2 s: not retrying"
    finally:
        for node in lab.nodes:
            node_sh(node, f"rm -f {BROKEN}")
    assert metric(holder, IN_STEP, wait_s=10, until=1) == 1, "the agent never caught up once nginx took changes"
    assert victim in _marked_down(holder)
    after = _homes(lab, seed=2)
    moved = {e for e, home in homes.items() if home == victim}
    assert all(after[e] != victim for e in moved), "a dead collector's exporter still goes to it"
    assert all(after[e] == home for e, home in homes.items() if e not in moved), "a live collector's exporter moved"


def _marked_down(node: NodeState) -> str:
    """The pool file's `down` servers, as the agent marked them."""
    text = node_sh(node, f"cat {PATHS.pool_dir}/{POOL}.conf", timeout=10).stdout
    return " ".join(
        line.split()[1] for line in text.splitlines() if line.strip().startswith("server") and " down" in line
    )


def _homes(state: LabState, seed: int) -> dict[str, str]:
    """Exporter address → the collector address its one datagram reached."""
    the_pool = pool(state, POOL)
    flood = [sys.executable, "-m", "ha_udp_lb.lab.agents.flood"]
    target = f"{the_pool.vip}:{the_pool.port}"
    senders = [
        subprocess.Popen(["ip", "netns", "exec", e.netns, *flood, e.address, target, _seed(seed, e), "1", "0"])
        for e in state.exporters
    ]
    for sender in senders:
        assert sender.wait(timeout=30) == 0
    time.sleep(1)
    where = {str(r["sha256"]): str(r["backend"]) for b in state.backends for r in received_others(b)}
    digests = {e.address: hashlib.sha256(payload(int(_seed(seed, e)), 0, SIZE)).hexdigest() for e in state.exporters}
    return {address: where.get(digest, "lost") for address, digest in digests.items()}


def _seed(run: int, exporter: ExporterState) -> str:
    return str(run * 1000 + exporter.index)

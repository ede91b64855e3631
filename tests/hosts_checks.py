"""What the hosts tests look at on the lab's booted hosts, beside the drills' own checks: who holds
each VIP over time, who answers ARP for them, what of ours is left on a host."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.drill.report import TrialReport
from ha_udp_lb.lab.drill.scenario import Scenario
from ha_udp_lb.lab.drill.trial import Settings, run_trial
from ha_udp_lb.lab.host.control import HolderWatch, node_sh
from ha_udp_lb.lab.host.netns import netns_run
from ha_udp_lb.lab.host.state import LAB_DIR, LabState, NodeState, lab_config


@contextmanager
def watching_holders(state: LabState) -> Iterator[HolderWatch]:
    """Every VIP's holders looked at every 20 ms in a thread for as long as the block runs."""
    watch, done = HolderWatch(state), threading.Event()

    def look() -> None:
        while not done.is_set():
            watch.look()
            time.sleep(0.02)

    looking = threading.Thread(target=look)
    looking.start()
    try:
        yield watch
    finally:
        done.set()
        looking.join()


def watch_holders(state: LabState, leaving: str, seconds: float) -> None:
    """Every VIP held, never by `leaving`; two holders only for a handover (the new preferred node
    takes its VIP back after the deploy's preempt delay), never a split brain."""
    watch, advert_s = HolderWatch(state), parse_stack(lab_config(state.stack, state.overrides)).vrrp.advert_interval
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        held = watch.look()
        assert all(nodes and leaving not in nodes for nodes in held.values()), held
        assert watch.longest_s <= advert_s, f"a split brain for {watch.longest_s:.3f} s: {held}"
        time.sleep(0.02)


def arp_probe(state: LabState, seconds: float) -> subprocess.Popen[str]:
    exporter = state.exporters[0]
    out = LAB_DIR / "arp.json"
    argv = [
        sys.executable,
        "-m",
        "ha_udp_lb.lab.agents.arp_probe",
        "eth0",
        exporter.address,
        str(seconds),
        "20",
        str(out),
    ]
    return subprocess.Popen(["ip", "netns", "exec", exporter.netns, *argv, *(v.address for v in state.vips)], text=True)


def probe_answers(probe: subprocess.Popen[str]) -> set[str]:
    probe.wait(timeout=60)
    rounds = json.loads((LAB_DIR / "arp.json").read_text())["rounds"]
    return {mac for r in rounds for macs in r["answers"].values() for mac in macs}


def mac_of(node: NodeState) -> str:
    out = netns_run(node.netns, "cat", f"/sys/class/net/{node.interface}/address").stdout
    return out.strip()


def ours_on(node: NodeState) -> list[str]:
    """Everything of ours on the host: files, VIPs, the nftables table, our units' drop-ins."""
    vips = ["198.18.0.100", "198.18.0.101"]
    script = (
        "find / -xdev \\( -name '*ha-udp-lb*' -o -name '*ha_udp_lb*' \\) -not -path '/proc/*' 2>/dev/null; "
        f"ip -o addr | grep -E ' ({'|'.join(vips)})/' ; "
        f"nft list tables 2>/dev/null | grep {PATHS.kernel_table}; "
        "dpkg --verify nginx-common keepalived 2>/dev/null"
    )
    return node_sh(node, script).stdout.split("\n")[:-1]


def trial(state: LabState, scenario: Scenario) -> TrialReport:
    """One trial of `scenario` at 100 datagrams/s per exporter per pool."""
    report, _picture = run_trial(state, scenario, 1, Settings(rate=100), LAB_DIR / "sent" / scenario.name)
    return report

"""Asking ARP for the VIPs from an exporter's namespace, as any sender on the segment does before it
sends: which nodes answer (the probe is lab/agents/arp_probe.py, the verdict lab/drill/arp.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ha_udp_lb.core.project import REPO

from ..host.control import holders
from ..host.netns import netns_run
from ..host.state import LabState
from .site import mac_of

INTERVAL_MS = 10.0


def start_probe(state: LabState, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """ARP asked for every VIP every 10 ms from the first exporter for `seconds`; samples to `out`."""
    exporter = state.exporters[0]
    out.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "ha_udp_lb.lab.agents.arp_probe", "eth0", exporter.address, f"{seconds:.2f}"]
    argv += [str(INTERVAL_MS), str(out), *(vip.address for vip in state.vips)]
    return subprocess.Popen(["ip", "netns", "exec", exporter.netns, *argv], cwd=REPO)


def read_probe(probe: subprocess.Popen[bytes], out: Path) -> dict[str, Any]:
    if probe.wait(timeout=60) != 0:
        raise RuntimeError(f"the ARP probe failed ({probe.returncode})")
    samples: dict[str, Any] = json.loads(out.read_text())
    return samples


def owners(state: LabState) -> dict[str, str]:
    """MAC → node, for the nodes whose containers run now."""
    return {mac_of(node): node.name for node in state.nodes}


def answers_for(state: LabState, vip: str, seconds: float = 0.3) -> set[str]:
    """The nodes that answered ARP for `vip` in a short sample."""
    out = state.nodes[0].scratch.parent / "arp-sample.json"
    macs = owners(state)
    rounds = read_probe(start_probe(state, seconds, out), out)["rounds"]
    return {macs.get(mac, mac) for r in rounds for mac in r["answers"][vip]}


def stale_caches(state: LabState, macs: dict[str, str]) -> list[str]:
    """Exporter namespaces whose ARP cache names, for a VIP, a MAC other than its holder's now."""
    held = holders(state)
    stale = []
    for ns in sorted({exporter.netns for exporter in state.exporters}):
        for vip in state.vips:
            line = netns_run(ns, "ip", "-4", "neigh", "show", vip.address, "dev", "eth0").stdout.split()
            if "lladdr" not in line:
                continue  # no entry, or one still being resolved: the next datagram asks again
            cached = line[line.index("lladdr") + 1]
            if [macs.get(cached)] != held[vip.address]:
                stale.append(
                    f"{ns}: {vip.address} at {cached} ({macs.get(cached, 'nobody')}), held by {held[vip.address]}"
                )
    return stale

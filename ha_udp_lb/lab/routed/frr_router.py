"""The lab's router as FRR runs it (zebra, bgpd, bfdd; router.frr.conf.j2), and what FRR says."""

from __future__ import annotations

import json
from pathlib import Path

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.templating import render_template

from ..host.control import sh_in
from ..host.sandbox import launch
from ..host.state import RouterState


def start(netns: str, home: Path, conf: str) -> tuple[int, Path]:
    root, scratch = home / "root", home / "scratch"
    (root / "etc" / "frr").mkdir(parents=True)
    (root / "etc" / "frr" / "frr.conf").write_text(conf)
    # The daemons a node runs are the router's too.
    (root / "etc" / "frr" / "daemons").write_text(render_template("frr-daemons.j2", node={"name": "the lab's router"}))
    scratch.mkdir(parents=True)
    # bfdd alone on real-time scheduling, as a router's BFD runs ahead of its other work (and the nodes'
    # bfdd does). Not all of FRR: with bgpd and zebra real-time at the same priority, their work when a
    # node's session came or went kept bfdd off both cores past 60 ms, and every session dropped at once
    # (the VIP gone for 1-2 s in 4 of 20 node-added trials at BFD 20 ms).
    (scratch / "commands.sh").write_text(
        f"chown -R frr:frr /etc/frr\n/usr/lib/frr/frrinit.sh start\nchrt -r -p 50 $(cat {PATHS.bfdd_pid})\n"
    )
    return launch(netns, root, scratch, "router.log"), scratch


def vtysh(router: RouterState, command: str) -> object:
    """An FRR `show … json` on the router."""
    out = sh_in(router.init_pid, f"vtysh -c '{command}'", timeout=10).stdout
    return json.loads(out) if out.strip() else {}


def bfd_unready(router: RouterState, addresses: list[str]) -> list[str]:
    peers = vtysh(router, "show bfd peers json")
    ready = {
        peer["peer"]
        for peer in (peers if isinstance(peers, list) else [])
        if peer.get("status") == "up"
        and peer.get("remote-transmit-interval") == peer.get("receive-interval")
        and peer.get("remote-receive-interval") == peer.get("transmit-interval")
        and peer.get("remote-detect-multiplier") == peer.get("detect-multiplier")
    }
    return [address for address in addresses if address not in ready]

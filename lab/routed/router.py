"""The routed lab's router: FRR in its own namespace and mount namespace (its /etc/frr and /run its
own), peering with every node, ECMP over the announcers; and what its kernel and FRR say."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from core.model import Stack
from core.paths import PATHS
from core.templating import render_template

from ..host.control import sh_in
from ..host.netns import netns_run
from ..host.sandbox import launch
from ..host.state import RouterState

ASN = 65000
ROUTER_ID = "198.18.255.1"


def router_conf(stack: Stack) -> str:
    assert stack.bgp is not None
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    ).get_template("router.conf.j2")
    return template.render(
        vips=[vip.address.ip for vip in stack.vips],
        bfd=stack.bgp.bfd,
        asn=ASN,
        router_id=ROUTER_ID,
        nodes_asn=stack.bgp.asn,
        keepalive=max(1, stack.bgp.hold_time // 3),
        hold_time=stack.bgp.hold_time,
        nodes=[node.address.ip for node in stack.nodes],
    )


def start(netns: str, home: Path, conf: str) -> tuple[int, Path]:
    """FRR (zebra, bgpd, bfdd) under the router's own PID 1; (that PID on the host, its scratch dir)."""
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


def nexthops(router: RouterState, vip: str) -> list[str]:
    """The node addresses the router's kernel sends `vip` to right now (what ECMP spreads over)."""
    out = netns_run(router.netns, "ip", "-j", "route", "show", f"{vip}/32", check=False).stdout
    routes = json.loads(out) if out.strip() else []
    hops: list[str] = []
    for route in routes:
        hops += [hop["gateway"] for hop in route.get("nexthops", [])] or [route["gateway"]] * ("gateway" in route)
    return sorted(hops)


def bfd_unready(router: RouterState, addresses: list[str]) -> list[str]:
    """Which of `addresses` have no BFD session up at the timers both ends want: until both have
    agreed the configured intervals a session runs at 1 s, and a node lost then goes unnoticed by BFD
    for seconds (multiplier × 1 s), so a drill must not start."""
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


def node_for(router: RouterState, vip: str, exporter: str) -> str | None:
    """The node address ECMP sends `exporter`'s datagrams to `vip` to (the kernel's own hash)."""
    out = netns_run(
        router.netns, "ip", "-j", "route", "get", vip, "from", exporter, "iif", router.exporter_interface, check=False
    ).stdout
    routes = json.loads(out) if out.strip() else []
    return str(routes[0]["gateway"]) if routes and "gateway" in routes[0] else None

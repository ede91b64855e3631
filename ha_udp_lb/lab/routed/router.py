"""The routed lab's router: a routing daemon (FRR or BIRD) in its own namespace and mount namespace (its
/etc and /run its own), peering with every node, ECMP over the announcers; and what its kernel says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import jinja2

from ha_udp_lb.core.model import Stack

from ..host.netns import netns_run
from ..host.state import RouterState
from . import bird_router, frr_router

ASN = 65000
ROUTER_ID = "198.18.255.1"


class RouterDaemon(Protocol):
    def start(self, netns: str, home: Path, conf: str) -> tuple[int, Path]: ...

    def bfd_unready(self, router: RouterState, addresses: list[str]) -> list[str]: ...


DAEMONS: dict[str, RouterDaemon] = {"frr": frr_router, "bird": bird_router}
"""The routing daemons the lab's router can run (a module each, and router.DAEMON.conf.j2)."""


def router_conf(stack: Stack, daemon: str = "frr") -> str:
    """The router's configuration for `daemon`: eBGP with every node of `stack`, BFD at its timers."""
    assert stack.bgp is not None
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    ).get_template(f"router.{daemon}.conf.j2")
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


def start(daemon: str, netns: str, home: Path, conf: str) -> tuple[int, Path]:
    """`daemon` under the router's own PID 1 in `netns`; (that PID on the host, its scratch dir)."""
    return DAEMONS[daemon].start(netns, home, conf)


def bfd_unready(router: RouterState, addresses: list[str]) -> list[str]:
    """Which of `addresses` have no BFD session up at the timers both ends want: until both have
    agreed the configured intervals a session runs at 1 s, and a node lost then goes unnoticed by BFD
    for seconds (multiplier × 1 s), so a drill must not start."""
    return DAEMONS[router.daemon].bfd_unready(router, addresses)


def nexthops(router: RouterState, vip: str) -> list[str]:
    """The node addresses the router's kernel sends `vip` to right now (what ECMP spreads over)."""
    out = netns_run(router.netns, "ip", "-j", "route", "show", f"{vip}/32", check=False).stdout
    routes = json.loads(out) if out.strip() else []
    hops: list[str] = []
    for route in routes:
        hops += [hop["gateway"] for hop in route.get("nexthops", [])] or [route["gateway"]] * ("gateway" in route)
    return sorted(hops)


def node_for(router: RouterState, vip: str, exporter: str) -> str | None:
    """The node address ECMP sends `exporter`'s datagrams to `vip` to (the kernel's own hash)."""
    out = netns_run(
        router.netns, "ip", "-j", "route", "get", vip, "from", exporter, "iif", router.exporter_interface, check=False
    ).stdout
    routes = json.loads(out) if out.strip() else []
    return str(routes[0]["gateway"]) if routes and "gateway" in routes[0] else None

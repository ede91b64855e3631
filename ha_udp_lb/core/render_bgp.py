"""A node's files for `routing: bgp`, as pure functions of the stack: FRR's config and daemons, the
sysctls, FRR's restart drop-in. The health agent's share (the announcement) is core.announce."""

from __future__ import annotations

from .model import Node, Stack
from .paths import PATHS
from .render import sysctls
from .templating import NodeFile, render_template, restart_dropin

BFD_PROFILE = "ha-udp-lb"
PREFIX_LIST = "HA-UDP-LB-VIPS"


def render_bgp(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """FRR announcing every VIP to the routers on the node's subnet, BFD watching each session."""
    bgp = stack.bgp
    assert bgp is not None  # checked: routing bgp needs its block
    password = bgp.password.get_secret_value() if bgp.password else None
    frr_conf = render_template(
        "frr.conf.j2",
        node=node,
        asn=bgp.asn,
        peers=stack.peers_of(node),
        vips=[vip.address.ip for vip in stack.vips],
        bfd=bgp.bfd,
        bfd_profile=BFD_PROFILE,
        prefix_list=PREFIX_LIST,
        hold_time=bgp.hold_time,
        keepalive=max(1, bgp.hold_time // 3),
        password=password,
    )
    return {
        PATHS.frr_conf: NodeFile(frr_conf, 0o640, secret=password is not None),
        PATHS.frr_daemons: NodeFile(render_template("frr-daemons.j2", node=node), 0o640),
        PATHS.sysctl: sysctls(stack, node),
        PATHS.dropin("frr.service"): restart_dropin(stack, node),
    }

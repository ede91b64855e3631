"""Rules of each routing mode across the stack's keys: what VRRP requires of nodes and VIPs, and what
announcing the VIPs over BGP requires (routers on every node's subnet, the stateless plane)."""

from __future__ import annotations

from .errors import Findings, Problem
from .model import Stack

BGP_EXAMPLE = "bgp: {asn: 65100, peers: [{address: 198.18.11.1, asn: 65000}]}"


def check_routing(stack: Stack) -> Findings:
    if stack.routing == "vrrp":
        yield from _vrrp_keys(stack)
    else:
        yield from _bgp(stack)


def _vrrp_keys(stack: Stack) -> Findings:
    if stack.bgp is not None:
        yield Problem(
            "bgp", "{...}", "is set, but routing is vrrp; set routing: bgp to announce the VIPs, or remove bgp"
        )
    for i, node in enumerate(stack.nodes):
        if node.priority is None:
            yield Problem(
                f"nodes[{i}].priority",
                None,
                "is required with routing vrrp (it elects by priority): give every node its own, 1-254",
            )
    for i, vip in enumerate(stack.vips):
        if vip.vrid is None:
            yield Problem(
                f"vips[{i}].vrid",
                None,
                "is required with routing vrrp (the VRRP router ID): give each VIP its own, 1-255",
            )


def _bgp(stack: Stack) -> Findings:
    if stack.bgp is None:
        yield Problem("bgp", None, f"routing bgp needs the nodes' AS and their routers, e.g. {BGP_EXAMPLE}")
        return
    if stack.target == "docker":
        yield Problem(
            "target",
            "docker",
            "routing bgp needs nodes that peer with your routers, and the docker target's containers sit on "
            "a bridge of their own that no router reaches; use target ssh (or routing vrrp)",
        )
    for i, pool in enumerate(stack.pools):
        if pool.data_plane != "kernel":
            yield Problem(
                f"pools[{i}].dataPlane",
                pool.data_plane,
                "routing bgp spreads each VIP over every node, and only the kernel plane sends an exporter to "
                "the same collector from any node (nginx keeps sessions and collector health per node); "
                "use dataPlane: kernel",
            )
    if stack.bgp.password is not None:
        secret = stack.bgp.password.get_secret_value()
        if not 1 <= len(secret) <= 80 or not all(33 <= ord(c) <= 126 and c not in "\"'\\{}#!" for c in secret):
            yield Problem(
                "bgpPassword",
                "******",
                "must be 1 to 80 printable ASCII characters without spaces, quotes, backslashes, braces, # or ! "
                "(it is written into frr.conf); choose another",
            )
    yield from _bgp_nodes(stack)
    yield from _bgp_vips(stack)


def _bgp_nodes(stack: Stack) -> Findings:
    """Every node has a router on its link; every router is on some node's link."""
    assert stack.bgp is not None
    addresses = {str(node.address.ip) for node in stack.nodes}
    for i, node in enumerate(stack.nodes):
        if node.address.version != 4:
            yield Problem(f"nodes[{i}].address", str(node.address), "routing bgp announces IPv4 only; use IPv4 nodes")
        elif not any(peer.address in node.address.network for peer in stack.bgp.peers):
            yield Problem(
                f"nodes[{i}].address",
                str(node.address),
                f"has no router on its subnet {node.address.network}; a node peers with the routers on its own "
                "link: add one to bgp.peers",
            )
    for j, peer in enumerate(stack.bgp.peers):
        if str(peer.address) in addresses:
            yield Problem(f"bgp.peers[{j}].address", str(peer.address), "is a node's own address; give the router's")
        elif not any(peer.address in node.address.network for node in stack.nodes):
            yield Problem(
                f"bgp.peers[{j}].address",
                str(peer.address),
                "is on no node's subnet; a node peers only with routers on its own link",
            )
        if peer.asn == stack.bgp.asn:
            yield Problem(
                f"bgp.peers[{j}].asn",
                peer.asn,
                f"is the nodes' own AS ({stack.bgp.asn}); the nodes speak eBGP to their routers: give the "
                "nodes an AS of their own",
            )


def _bgp_vips(stack: Stack) -> Findings:
    addresses = {str(node.address.ip) for node in stack.nodes}
    for i, vip in enumerate(stack.vips):
        if vip.address.version != 4:
            yield Problem(f"vips[{i}].address", str(vip.address), "routing bgp announces IPv4 only; use an IPv4 VIP")
        elif str(vip.address.ip) in addresses:
            yield Problem(f"vips[{i}].address", str(vip.address), "is a node's own address; pick another")
        elif any(vip.address.ip in node.address.network for node in stack.nodes):
            yield Problem(
                f"vips[{i}].address",
                str(vip.address),
                "is on a node's subnet; with routing bgp a VIP is routed to the nodes, not found on a link by "
                "ARP: take it from a range of its own, e.g. a /32 from a VIP /24",
            )
        if vip.preferred is not None:
            yield Problem(
                f"vips[{i}].preferred",
                vip.preferred,
                "every healthy node serves a VIP with routing bgp; remove preferred",
            )

"""Rules that relate one part of a stack to another. Each returns every problem it finds."""

from __future__ import annotations

from collections import Counter

from .errors import Findings, Problem
from .model import Stack
from .pool_checks import check_pools
from .routing_checks import check_routing


def check_stack(stack: Stack) -> list[Problem]:
    vrrp = stack.routing == "vrrp"
    return [
        *_nodes(stack),
        *check_routing(stack),
        *(_vips(stack) if vrrp else []),
        *(_vrrp(stack) if vrrp else []),
        *(_health(stack) if vrrp else []),
        *check_pools(stack),
    ]


def _duplicates(values: list[object]) -> set[object]:
    return {value for value, count in Counter(values).items() if count > 1}


def _nodes(stack: Stack) -> Findings:
    if len(stack.nodes) < 2:
        yield Problem("nodes", len(stack.nodes), "a VIP needs at least two nodes to fail over; add another node")
    for key, fix in (
        ("name", "give every node its own name"),
        ("address", "give every node its own address"),
        ("priority", "give every node its own priority, so the election never falls back to addresses"),
    ):
        values = [str(node.address.ip) if key == "address" else getattr(node, key) for node in stack.nodes]
        if key == "priority" and stack.routing != "vrrp":
            continue
        repeated = _duplicates(values)
        for i, value in enumerate(values):
            if value in repeated and value is not None:
                yield Problem(f"nodes[{i}].{key}", value, f"is used by more than one node; {fix}")
    families = {node.address.version for node in stack.nodes}
    if len(families) > 1:
        yield Problem("nodes", sorted(families), "mixes IPv4 and IPv6 nodes; VRRP peers must share one family")
    elif len({node.address.network for node in stack.nodes}) > 1 and stack.routing == "vrrp":
        for i, node in enumerate(stack.nodes):
            if node.address.network != stack.nodes[0].address.network:
                yield Problem(
                    f"nodes[{i}].address",
                    str(node.address),
                    f"is on {node.address.network}, nodes[0] on {stack.nodes[0].address.network}; every node "
                    "must be on one subnet with one prefix (VRRP and ARP work on one link)",
                )
    if "target" not in stack.model_fields_set and all(node.ssh for node in stack.nodes):
        yield Problem("target", None, "is not set, so it is docker, yet every node has an ssh block; set target: ssh")
    if stack.target == "docker":
        yield from _docker_nodes(stack)
    if stack.target == "ssh":
        for i, node in enumerate(stack.nodes):
            if node.ssh is None:
                yield Problem(
                    f"nodes[{i}].ssh",
                    None,
                    "target ssh needs an ssh connection for every node: add ssh: {host: ..., user: ...}",
                )


def _docker_nodes(stack: Stack) -> Findings:
    """The docker target puts the nodes on a bridge it creates, whose first address is its gateway."""
    for i, node in enumerate(stack.nodes):
        if node.address.version == 6:
            yield Problem(
                f"nodes[{i}].address",
                str(node.address),
                "the docker target runs IPv4 nodes only; use IPv4 addresses, or target ssh for IPv6",
            )
        elif node.address.ip == next(node.address.network.hosts(), None):
            yield Problem(
                f"nodes[{i}].address",
                str(node.address),
                f"is the docker bridge's gateway ({node.address.ip}); give the node another address",
            )
        if node.interface != "eth0":
            yield Problem(
                f"nodes[{i}].interface",
                node.interface,
                "a docker node's container has one interface and Docker names it eth0; set interface: eth0",
            )


def _vips(stack: Stack) -> Findings:
    names = {node.name for node in stack.nodes}
    vrids = [vip.vrid for vip in stack.vips]
    for i, vip in enumerate(stack.vips):
        if vip.vrid is not None and vrids.count(vip.vrid) > 1:
            yield Problem(f"vips[{i}].vrid", vip.vrid, "is used by more than one VIP; give each VIP its own VRID")
        if vip.preferred is not None and vip.preferred not in names:
            yield Problem(f"vips[{i}].preferred", vip.preferred, f"is not a node; use one of {sorted(names)}")
        if stack.nodes and vip.address.network.prefixlen != stack.nodes[0].address.network.prefixlen:
            yield Problem(
                f"vips[{i}].address",
                str(vip.address),
                f"has a different prefix from the nodes' /{stack.nodes[0].address.network.prefixlen}; "
                "a VIP lives on the nodes' subnet: give it the same prefix",
            )
        for node in stack.nodes:
            if vip.address.ip == node.address.ip:
                yield Problem(
                    f"vips[{i}].address",
                    str(vip.address),
                    f"is node {node.name}'s own address; pick a free address in its subnet",
                )
            elif vip.address.version != node.address.version or (vip.address.ip not in node.address.network):
                yield Problem(
                    f"vips[{i}].address",
                    str(vip.address),
                    f"is outside node {node.name}'s subnet {node.address.network}; a VIP moves by "
                    "ARP/NDP, so it must be in the subnet every node is on",
                )
    addresses = [vip.address.ip for vip in stack.vips]
    for i, vip in enumerate(stack.vips):
        if addresses.count(vip.address.ip) > 1:
            yield Problem(f"vips[{i}].address", str(vip.address), "is declared more than once")


def _vrrp(stack: Stack) -> Findings:
    vrrp = stack.vrrp
    interval = vrrp.advert_interval
    if vrrp.version == 2 and (interval != int(interval) or not 1 <= interval <= 255):
        yield Problem(
            "vrrp.advertInterval",
            interval,
            "VRRPv2 carries whole seconds from 1 to 255; use an integer, or version 3 for sub-second adverts",
        )
    if vrrp.version == 3 and (not 0.01 <= interval <= 40.95 or abs(interval * 100 - round(interval * 100)) > 1e-9):
        yield Problem(
            "vrrp.advertInterval",
            interval,
            "VRRPv3 carries centiseconds from 0.01 to 40.95; use e.g. 0.05",
        )
    if vrrp.password is not None:
        secret = vrrp.password.get_secret_value()
        if vrrp.version == 3:
            yield Problem(
                "vrrp.password",
                "******",
                "VRRPv3 has no authentication (RFC 5798); remove the password, or use version 2",
            )
        elif not 1 <= len(secret) <= 8:
            yield Problem(
                "vrrp.password",
                f"<{len(secret)} characters>",
                "VRRPv2 PASS uses at most 8 characters (keepalived cuts the rest); use 1 to 8",
            )
        elif not all(33 <= ord(c) <= 126 and c not in "\"'\\{}#!" for c in secret):
            yield Problem(
                "vrrp.password",
                "******",
                "may hold only printable ASCII without spaces, quotes, backslashes, braces, # or ! "
                "(it is written into keepalived.conf); choose another",
            )
    if any(node.address.version == 6 for node in stack.nodes) and vrrp.version == 2:
        yield Problem("vrrp.version", 2, "VRRPv2 is IPv4 only; use version 3 for IPv6 nodes")


def _health(stack: Stack) -> Findings:
    weight = stack.health.weight
    if weight == 0 or len(stack.nodes) < 2:
        return
    if any(n.priority is None for n in stack.nodes):
        return  # reported by check_routing
    top, second = sorted((n.priority or 0 for n in stack.nodes), reverse=True)[:2]
    gap = top - second
    if abs(weight) <= gap:
        yield Problem(
            "health.weight",
            weight,
            f"cannot hand the VIP over: the priority gap between the top two nodes is {gap}, "
            f"so a failing check must shift priority by more than {gap}; use a weight beyond "
            f"±{gap}, or 0 to fault the node at once (faster: the backup acts on its priority-0 advert)",
        )
    if top + abs(weight) > 254 and weight > 0:
        yield Problem(
            "health.weight",
            weight,
            f"would lift priority {top} past 254; lower the weight or the node priorities",
        )

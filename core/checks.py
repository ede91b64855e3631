"""Rules that relate one part of a stack to another. Each returns every problem it finds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from slot_table import MAX_SLOTS, SLOTS_PER_WEIGHT

from .errors import Problem
from .model import Stack

Findings = Iterator[Problem]
"""What a rule yields: every problem it finds, each with its key and fix."""


def check_stack(stack: Stack) -> list[Problem]:
    return [
        *_nodes(stack),
        *_vips(stack),
        *_vrrp(stack),
        *_health(stack),
        *_pools(stack),
        *_health_checks(stack),
        *_kernel_pools(stack),
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
        repeated = _duplicates(values)
        for i, value in enumerate(values):
            if value in repeated:
                yield Problem(f"nodes[{i}].{key}", value, f"is used by more than one node; {fix}")
    families = {node.address.version for node in stack.nodes}
    if len(families) > 1:
        yield Problem("nodes", sorted(families), "mixes IPv4 and IPv6 nodes; VRRP peers must share one family")
    elif len({node.address.network for node in stack.nodes}) > 1:
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
        if vrids.count(vip.vrid) > 1:
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
    top, second = sorted((n.priority for n in stack.nodes), reverse=True)[:2]
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


KERNEL_HASH_KEYS = ("$remote_addr", "$remote_addr:$remote_port")


def _kernel_pools(stack: Stack) -> Findings:
    """What nftables' stateless rewrite can do: hash the exporter's address (and port), keep it."""
    for i, pool in enumerate(stack.pools):
        if pool.data_plane != "kernel":
            continue
        key = f"pools[{i}]"
        if pool.source != "none":
            yield Problem(
                f"{key}.source",
                pool.source,
                "the kernel plane always keeps the exporter's address (collectors see it as the sender); remove source",
            )
        if pool.hash_key not in KERNEL_HASH_KEYS:
            yield Problem(
                f"{key}.hashKey", pool.hash_key, f"the kernel plane hashes one of {list(KERNEL_HASH_KEYS)}; use one"
            )
        total = sum(b.weight for b in pool.backends)
        if total > MAX_SLOTS // SLOTS_PER_WEIGHT:
            yield Problem(
                f"{key}.backends",
                f"total weight {total}",
                f"the kernel plane's slot table holds total weight {MAX_SLOTS // SLOTS_PER_WEIGHT} at most; "
                "lower the weights",
            )
        for j, backend in enumerate(pool.backends):
            if backend.address.version != pool.vip.version:
                yield Problem(
                    f"{key}.backends[{j}]",
                    backend.endpoint,
                    "the kernel plane rewrites the destination in place, so every backend must be in the "
                    "VIP's address family; use dataPlane nginx for mixed families",
                )


def _health_checks(stack: Stack) -> Findings:
    for i, pool in enumerate(stack.pools):
        check, key = pool.health_check, f"pools[{i}].healthCheck"
        if check.timeout >= check.interval:
            yield Problem(
                f"{key}.timeout", check.timeout, f"must be shorter than interval ({check.interval}); e.g. 0.05"
            )
        if check.probe in ("tcp", "http") and check.port is None:
            yield Problem(f"{key}.port", None, f"probe {check.probe} needs the collector's health port, e.g. 8080")
        if check.probe not in ("tcp", "http") and check.port is not None:
            yield Problem(f"{key}.port", check.port, "is used only by probe tcp or http; remove it or set the probe")
        if check.path is not None and (check.probe != "http" or not check.path.startswith("/")):
            yield Problem(f"{key}.path", check.path, "is an HTTP path such as /__health, used only with probe http")


def _pools(stack: Stack) -> Findings:
    vip_by_ip = {vip.address.ip: vip for vip in stack.vips}
    seen: dict[tuple[object, int], int] = {}
    names = [pool.name for pool in stack.pools]
    for i, pool in enumerate(stack.pools):
        if names.count(pool.name) > 1:
            yield Problem(f"pools[{i}].name", pool.name, "is used by more than one pool")
        if pool.vip not in vip_by_ip:
            yield Problem(
                f"pools[{i}].vip",
                str(pool.vip),
                f"is not a declared VIP; use one of {[str(ip) for ip in vip_by_ip]} (no prefix)",
            )
        key = (pool.vip, pool.port)
        if key in seen:
            yield Problem(
                f"pools[{i}].port",
                pool.port,
                f"pool {stack.pools[seen[key]].name} already listens on {pool.vip}:{pool.port}; "
                "give one of them another port or VIP",
            )
        seen.setdefault(key, i)
        endpoints = [b.endpoint for b in pool.backends]
        for j, backend in enumerate(pool.backends):
            if endpoints.count(backend.endpoint) > 1:
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "is listed twice; raise its weight instead",
                )
            if pool.source == "transparent" and backend.address.version != pool.vip.version:
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "source transparent sends with the exporter's own address, so every backend "
                    "must be in the VIP's address family; use source none for mixed families",
                )
            if backend.address in {node.address.ip for node in stack.nodes} | set(vip_by_ip):
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "is a load-balancer address; backends are the collectors behind it",
                )

"""Malformed `routing: bgp` stack configs (tests/validation_cases.py's table, its bgp rows)."""

from __future__ import annotations

import copy
from typing import Any

from ha_udp_lb.runner.stackfile import stack_config
from tests.validation_case import Case

BGP = stack_config("bgp")


def bgp(**changes: Any) -> dict[str, Any]:
    """The bgp stack with top-level keys replaced, and `bgp__key` keys set inside its bgp block."""
    raw = copy.deepcopy(BGP)
    for key, value in changes.items():
        if key.startswith("bgp__"):
            raw["bgp"][key.removeprefix("bgp__")] = value
        else:
            raw[key] = value
    return raw


NODES = BGP["nodes"]
BGP_CASES = [
    Case("bgp without its block", {k: v for k, v in BGP.items() if k != "bgp"}, "bgp", "routing bgp needs"),
    Case("bgp block under vrrp", bgp(routing="vrrp"), "bgp", "set routing: bgp"),
    Case("bgp on docker", bgp(target="docker"), "target", "use target ssh"),
    Case("bgp asn zero", bgp(bgp__asn=0), "bgp.asn", "greater than or equal to 1"),
    Case("bgp asn too big", bgp(bgp__asn=4_294_967_295), "bgp.asn", "less than or equal to 4294967294"),
    Case("bgp no peers", bgp(bgp__peers=[]), "bgp.peers", "at least 1"),
    Case(
        "bgp peer not an address", bgp(bgp__peers=[{"address": "router", "asn": 65000}]), "bgp.peers[0].address", "IP"
    ),
    Case(
        "bgp peer on no subnet",
        bgp(bgp__peers=[*BGP["bgp"]["peers"], {"address": "198.18.9.1", "asn": 65000}]),
        "bgp.peers[2].address",
        "on no node's subnet",
    ),
    Case(
        "bgp node without router",
        bgp(bgp__peers=BGP["bgp"]["peers"][:1]),
        "nodes[1].address",
        "no router on its subnet",
    ),
    Case(
        "bgp ibgp",
        bgp(bgp__peers=[{"address": "198.18.11.1", "asn": 65100}, BGP["bgp"]["peers"][1]]),
        "bgp.peers[0].asn",
        "speak eBGP",
    ),
    Case(
        "bgp peer is a node",
        bgp(bgp__peers=[*BGP["bgp"]["peers"], {"address": "198.18.11.3", "asn": 65000}]),
        "bgp.peers[2].address",
        "is a node's own address",
    ),
    Case("bgp bfd too fast", bgp(bgp__bfd={"intervalMs": 5}), "bgp.bfd.intervalMs", "greater than or equal to 10"),
    Case("bgp bfd multiplier", bgp(bgp__bfd={"multiplier": 1}), "bgp.bfd.multiplier", "greater than or equal to 2"),
    Case("bgp hold too short", bgp(bgp__holdTime=2), "bgp.holdTime", "greater than or equal to 3"),
    Case("bgp password in file", bgp(bgp__password="secret"), "bgp.password", "pulumi config set --secret bgpPassword"),
    Case(
        "bgp nginx pool",
        bgp(pools=[{**BGP["pools"][0], "dataPlane": "nginx"}]),
        "pools[0].dataPlane",
        "use dataPlane: kernel",
    ),
    Case(
        "bgp vip on a node subnet", bgp(vips=[{"address": "198.18.11.100/32"}]), "vips[0].address", "a range of its own"
    ),
    Case(
        "bgp vip preferred",
        bgp(vips=[{"address": "198.18.1.100/32", "preferred": "lb1"}]),
        "vips[0].preferred",
        "remove preferred",
    ),
    Case(
        "bgp ipv6 vip",
        bgp(
            vips=[{"address": "2001:db8::100/128"}],
            pools=[{**BGP["pools"][0], "vip": "2001:db8::100", "backends": ["[2001:db8::21]:2055"]}],
        ),
        "vips[0].address",
        "IPv4 only",
    ),
    Case(
        "vrrp node without priority",
        {k: v for k, v in bgp(routing="vrrp").items() if k != "bgp"},
        "nodes[0].priority",
        "is required with routing vrrp",
    ),
]

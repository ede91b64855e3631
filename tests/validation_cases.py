"""Malformed stack configs, each with the key path its problem must name and a fragment of the fix
the message must give. Both readers (the core's, and Pulumi's structured config through the program)
are driven by this one table (tests/test_validation.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.base_config import BASE, config
from tests.validation_case import Case
from tests.validation_cases_admission import ADMISSION_CASES
from tests.validation_cases_bgp import BGP_CASES
from tests.validation_cases_pools import POOL_CASES


def _ipv6(**changes: Any) -> dict[str, Any]:
    raw = {
        **config(target="ssh"),
        "nodes": [
            {"name": "lb1", "address": "2001:db8::11/64", "priority": 150, "ssh": {"host": "2001:db8::11"}},
            {"name": "lb2", "address": "2001:db8::12/64", "priority": 100, "ssh": {"host": "2001:db8::12"}},
        ],
        "vips": [{"address": "2001:db8::100/64", "vrid": 51}],
        "pools": [{"name": "nf", "vip": "2001:db8::100", "port": 2055, "backends": ["[2001:db8::21]:2055"]}],
    }
    return {**raw, **changes}


SSH = {"target": "ssh"}
SSH_NODES = [{**n, "ssh": {"host": f"192.0.2.{11 + i}"}} for i, n in enumerate(BASE["nodes"])]

# Every integer key refuses booleans, strings and fractions, naming the key.
INTEGER_KEYS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "nodes[0].priority": lambda v: config(nodes__0__priority=v),
    "vips[0].vrid": lambda v: config(vips__0__vrid=v),
    "pools[0].port": lambda v: config(pools__0__port=v),
    "pools[0].sessionTimeout": lambda v: config(pools__0__sessionTimeout=v),
    "health.weight": lambda v: config(health={"weight": v}),
    "tuning.workerConnections": lambda v: config(tuning={"workerConnections": v}),
    "pools[0].healthCheck.fall": lambda v: config(pools__0__healthCheck={"fall": v}),
}
INTEGER_CASES = [
    Case(f"{path} {label}", make(value), path, "whole number")
    for path, make in INTEGER_KEYS.items()
    for label, value in (("true", True), ("a string", "150"), ("a fraction", 1.5))
]

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHfU6mF5tQ7d8cBn2xvS4+QbJz5FwK9mNwq0sTt3u1Xy"
"""A well-formed host key (its 32 bytes made up)."""

CASES: list[Case] = [
    *INTEGER_CASES,
    # nodes
    Case("one node", config(nodes=[BASE["nodes"][0]]), "nodes", "at least two nodes"),
    Case("no nodes key", {k: v for k, v in BASE.items() if k != "nodes"}, "nodes", "is required"),
    Case("nodes not a list", config(nodes={"lb1": {}}), "nodes", "valid list"),
    Case("duplicate name", config(nodes__1__name="lb1"), "nodes[1].name", "its own name"),
    Case("name uppercase", config(nodes__0__name="LB1"), "nodes[0].name", "lowercase letters"),
    Case("name too long", config(nodes__0__name="a" * 40), "nodes[0].name", "1 to 31"),
    Case("name with space", config(nodes__0__name="lb 1"), "nodes[0].name", "starting with a letter"),
    Case("duplicate address", config(nodes__1__address="198.18.0.11/24"), "nodes[1].address", "its own address"),
    Case("address without prefix", config(nodes__0__address="198.18.0.11"), "nodes[0].address", "e.g. 198.18.0.11/24"),
    Case("v6 address without prefix", config(nodes__0__address="2001:db8::11"), "nodes[0].address", "/64"),
    Case("address /0", config(nodes__0__address="198.18.0.11/0"), "nodes[0].address", "/0 prefix"),
    Case("network address", config(nodes__0__address="198.18.0.0/24"), "nodes[0].address", "network address"),
    Case("broadcast address", config(nodes__0__address="198.18.0.255/24"), "nodes[0].address", "broadcast address"),
    Case("zero-padded address", config(nodes__0__address="198.18.0.011/24"), "nodes[0].address", "198.18.0.11"),
    Case("not an address", config(nodes__0__address="lb1.example/24"), "nodes[0].address", "IPv4 or IPv6"),
    Case("prefixes disagree", config(nodes__1__address="198.18.0.12/25"), "nodes[1].address", "one prefix"),
    Case("subnets disagree", config(nodes__1__address="198.19.0.12/24"), "nodes[1].address", "one subnet"),
    Case("duplicate priority", config(nodes__1__priority=150), "nodes[1].priority", "its own priority"),
    Case("priority 0", config(nodes__0__priority=0), "nodes[0].priority", "greater than or equal to 1"),
    Case("priority 255", config(nodes__0__priority=255), "nodes[0].priority", "less than or equal to 254"),
    Case("bad interface", config(nodes__0__interface="eth 0"), "nodes[0].interface", "e.g. eth0"),
    Case("long interface", config(nodes__0__interface="a" * 16), "nodes[0].interface", "1 to 15"),
    Case("node typo", config(nodes__0__priorty=150), "nodes[0].priorty", "did you mean 'priority'"),
    Case("node typo lists keys", config(nodes__0__adress="x"), "nodes[0].adress", "valid keys: address"),
    Case("mixed families", config(nodes__1__address="2001:db8::12/64"), "nodes", "mixes IPv4 and IPv6"),
    Case(
        "node missing priority",
        config(nodes=[{"name": "a", "address": "198.18.0.11/24"}, BASE["nodes"][1]]),
        "nodes[0].priority",
        "is required",
    ),
    # ssh
    Case("ssh target without ssh", config(target="ssh"), "nodes[0].ssh", "needs an ssh connection"),
    Case(
        "ssh blocks, no target",
        {**{k: v for k, v in BASE.items() if k != "target"}, "nodes": SSH_NODES},
        "target",
        "set target: ssh",
    ),
    Case(
        "empty ssh host",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"host": ""}}, SSH_NODES[1]]},
        "nodes[0].ssh.host",
        "host name or address",
    ),
    Case(
        "ssh host with port",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"host": "lb-a:2222"}}, SSH_NODES[1]]},
        "nodes[0].ssh.host",
        "ssh.port",
    ),
    Case(
        "ssh port 0",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"host": "a", "port": 0}}, SSH_NODES[1]]},
        "nodes[0].ssh.port",
        "greater than or equal to 1",
    ),
    Case(
        "ssh port string",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"host": "a", "port": "22"}}, SSH_NODES[1]]},
        "nodes[0].ssh.port",
        "whole number",
    ),
    Case(
        "ssh host key with the host name",
        {
            **config(**SSH),
            "nodes": [{**SSH_NODES[0], "ssh": {"host": "a", "hostKey": f"lb-a {ED25519}"}}, SSH_NODES[1]],
        },
        "nodes[0].ssh.hostKey",
        "without the host name",
    ),
    Case(
        "ssh host key of another type than it says",
        {
            **config(**SSH),
            "nodes": [{**SSH_NODES[0], "ssh": {"host": "a", "hostKey": f"ssh-rsa {ED25519.split()[1]}"}}, SSH_NODES[1]],
        },
        "nodes[0].ssh.hostKey",
        "is not an OpenSSH public key",
    ),
    Case(
        "ssh user bad",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"host": "a", "user": "Root Admin"}}, SSH_NODES[1]]},
        "nodes[0].ssh.user",
        "user name",
    ),
    Case(
        "ssh typo",
        {**config(**SSH), "nodes": [{**SSH_NODES[0], "ssh": {"hots": "a"}}, SSH_NODES[1]]},
        "nodes[0].ssh.hots",
        "did you mean 'host'",
    ),
    # target
    Case("unknown target", config(target="kubernetes"), "target", "'docker' or 'ssh'"),
    Case("target a number", config(target=5), "target", "'docker' or 'ssh'"),
    Case("docker node on the gateway", config(nodes__0__address="198.18.0.1/24"), "nodes[0].address", "gateway"),
    Case("docker node interface not eth0", config(nodes__1__interface="ens3"), "nodes[1].interface", "eth0"),
    Case("docker ipv6 nodes", _ipv6(target="docker"), "nodes[0].address", "IPv4 nodes only"),
    # vips
    Case("no vips", config(vips=[]), "vips", "at least 1 item"),
    Case("vrid 0", config(vips__0__vrid=0), "vips[0].vrid", "greater than or equal to 1"),
    Case("vrid 256", config(vips__0__vrid=256), "vips[0].vrid", "less than or equal to 255"),
    Case(
        "vrid reused",
        config(vips=[{"address": "198.18.0.100/24", "vrid": 51}, {"address": "198.18.0.101/24", "vrid": 51}]),
        "vips[1].vrid",
        "its own VRID",
    ),
    Case(
        "vip outside subnet", config(vips__0__address="198.19.5.1/24"), "vips[0].address", "outside node lb1's subnet"
    ),
    Case(
        "vip is a node address", config(vips__0__address="198.18.0.12/24"), "vips[0].address", "node lb2's own address"
    ),
    Case("vip without prefix", config(vips__0__address="198.18.0.100"), "vips[0].address", "address/prefix"),
    Case("vip network address", config(vips__0__address="198.18.0.0/24"), "vips[0].address", "network address"),
    Case("vip prefix differs", config(vips__0__address="198.18.0.100/25"), "vips[0].address", "same prefix"),
    Case("vip /0", config(vips__0__address="198.18.0.100/0"), "vips[0].address", "/0 prefix"),
    Case(
        "vip twice",
        config(vips=[{"address": "198.18.0.100/24", "vrid": 51}, {"address": "198.18.0.100/24", "vrid": 52}]),
        "vips[1].address",
        "declared more than once",
    ),
    Case("preferred unknown", config(vips__0__preferred="lb9"), "vips[0].preferred", "is not a node"),
    Case("vip typo", config(vips__0__prefered="lb1"), "vips[0].prefered", "did you mean 'preferred'"),
    Case("vip missing vrid", config(vips=[{"address": "198.18.0.100/24"}]), "vips[0].vrid", "is required"),
    # vrrp
    Case(
        "v2 fractional advert",
        config(vrrp={"version": 2, "advertInterval": 0.5}),
        "vrrp.advertInterval",
        "whole seconds",
    ),
    Case(
        "v2 infinite advert",
        config(vrrp={"version": 2, "advertInterval": float("inf")}),
        "vrrp.advertInterval",
        "finite",
    ),
    Case("advert NaN", config(vrrp={"advertInterval": float("nan")}), "vrrp.advertInterval", "finite"),
    Case(
        "v3 advert too small",
        config(vrrp={"version": 3, "advertInterval": 0.001}),
        "vrrp.advertInterval",
        "centiseconds",
    ),
    Case(
        "v3 advert too large", config(vrrp={"version": 3, "advertInterval": 41}), "vrrp.advertInterval", "centiseconds"
    ),
    Case("advert negative", config(vrrp={"advertInterval": -1}), "vrrp.advertInterval", "greater than 0"),
    Case("advert string", config(vrrp={"advertInterval": "0.05"}), "vrrp.advertInterval", "a number"),
    Case("advert bool", config(vrrp={"advertInterval": True}), "vrrp.advertInterval", "a number"),
    Case("version string", config(vrrp={"version": "3"}), "vrrp.version", "number 3 without quotes"),
    Case("version 4", config(vrrp={"version": 4}), "vrrp.version", "2 or 3"),
    Case("unicast string", config(vrrp={"unicast": "yes"}), "vrrp.unicast", "true or false"),
    Case("preempt number", config(vrrp={"preempt": 1}), "vrrp.preempt", "true or false"),
    Case("preempt delay negative", config(vrrp={"preemptDelay": -1}), "vrrp.preemptDelay", "greater than or equal"),
    Case(
        "garp refresh huge", config(vrrp={"garpMasterRefresh": 10**30}), "vrrp.garpMasterRefresh", "less than or equal"
    ),
    Case("huge integer", config(nodes__0__priority=10**5000), "nodes[0].priority", "less than or equal to 254"),
    Case("script user bad", config(vrrp={"scriptUser": "Bad User"}), "vrrp.scriptUser", "user name"),
    Case("vrrp typo", config(vrrp={"advertInt": 1}), "vrrp.advertInt", "did you mean 'advertInterval'"),
    Case("vrrp typo lists keys", config(vrrp={"advertInt": 1}), "vrrp.advertInt", "valid keys: advertInterval"),
    Case("vrrp a list", config(vrrp=[3]), "vrrp", "valid dictionary"),
    Case("vrrp a list with a password", config(vrrp=[3]), "vrrp", "valid dictionary", password="s3cret"),
    Case(
        "password in the stack file",
        config(vrrp={"version": 2, "advertInterval": 1, "password": "s3cret"}),
        "vrrp.password",
        "pulumi config set --secret vrrpPassword",
    ),
    Case(
        "password too long",
        config(vrrp={"version": 2, "advertInterval": 1}),
        "vrrp.password",
        "at most 8",
        password="123456789",
    ),
    Case(
        "password with v3",
        config(vrrp={"version": 3}),
        "vrrp.password",
        "VRRPv3 has no authentication",
        password="secret",
    ),
    Case(
        "password with space",
        config(vrrp={"version": 2, "advertInterval": 1}),
        "vrrp.password",
        "without spaces",
        password="a b",
    ),
    Case(
        "password with newline",
        config(vrrp={"version": 2, "advertInterval": 1}),
        "vrrp.password",
        "printable",
        password="ab\n}",
    ),
    Case(
        "password with quote",
        config(vrrp={"version": 2, "advertInterval": 1}),
        "vrrp.password",
        "quotes",
        password='a"b',
    ),
    Case(
        "password empty", config(vrrp={"version": 2, "advertInterval": 1}), "vrrp.password", "use 1 to 8", password=""
    ),
    Case("ipv6 with vrrpv2", _ipv6(vrrp={"version": 2, "advertInterval": 1}), "vrrp.version", "IPv4 only"),
]
CASES += POOL_CASES + ADMISSION_CASES
CASES += BGP_CASES

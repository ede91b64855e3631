"""Every validation rule: bad input → a message naming the exact key path, the value and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from core.config import parse_stack
from core.errors import ConfigError
from tests.base_config import BASE, config

NODE3 = {"name": "lb3", "address": "198.18.0.13/24", "priority": 50}
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("one node", config(nodes=[BASE["nodes"][0]]), "nodes = 1", "at least two nodes"),
    ("duplicate name", config(nodes__1__name="lb1"), "nodes[1].name = 'lb1'", "its own name"),
    (
        "duplicate address",
        config(nodes__1__address="198.18.0.11/24"),
        "nodes[1].address = '198.18.0.11'",
        "its own address",
    ),
    ("duplicate priority", config(nodes__1__priority=150), "nodes[1].priority = 150", "its own priority"),
    ("priority 0", config(nodes__0__priority=0), "nodes[0].priority = 0", "greater than or equal to 1"),
    ("priority 255", config(nodes__0__priority=255), "nodes[0].priority = 255", "less than or equal to 254"),
    ("address without prefix", config(nodes__0__address="198.18.0.11"), "nodes[0].address", "address/prefix"),
    ("vrid 0", config(vips__0__vrid=0), "vips[0].vrid = 0", "greater than or equal to 1"),
    ("vrid 256", config(vips__0__vrid=256), "vips[0].vrid = 256", "less than or equal to 255"),
    (
        "vrid reused",
        config(vips=[{"address": "198.18.0.100/24", "vrid": 51}, {"address": "198.18.0.101/24", "vrid": 51}]),
        "vips[1].vrid = 51",
        "its own VRID",
    ),
    (
        "vip outside subnet",
        config(vips__0__address="198.19.5.1/24"),
        "vips[0].address = '198.19.5.1/24'",
        "outside node lb1's subnet",
    ),
    (
        "vip is a node address",
        config(vips__0__address="198.18.0.12/24"),
        "vips[0].address = '198.18.0.12/24'",
        "node lb2's own address",
    ),
    ("preferred unknown", config(vips__0__preferred="lb9"), "vips[0].preferred = 'lb9'", "is not a node"),
    (
        "v2 fractional advert",
        config(vrrp={"version": 2, "advertInterval": 0.5}),
        "vrrp.advertInterval = 0.5",
        "whole seconds",
    ),
    (
        "v3 advert too small",
        config(vrrp={"version": 3, "advertInterval": 0.001}),
        "vrrp.advertInterval = 0.001",
        "centiseconds",
    ),
    (
        "v3 advert too large",
        config(vrrp={"version": 3, "advertInterval": 41}),
        "vrrp.advertInterval = 41",
        "centiseconds",
    ),
    (
        "password too long",
        config(vrrp={"version": 2, "advertInterval": 1, "password": "123456789"}),
        "vrrp.password = '<9 characters>'",
        "at most 8",
    ),
    (
        "password with v3",
        config(vrrp={"version": 3, "password": "secret"}),
        "vrrp.password = '******'",
        "VRRPv3 has no authentication",
    ),
    ("port 0", config(pools__0__port=0), "pools[0].port = 0", "greater than or equal to 1"),
    ("port 65536", config(pools__0__port=65536), "pools[0].port = 65536", "less than or equal to 65535"),
    (
        "backend port 70000",
        config(pools__0__backends=["198.18.0.21:70000"]),
        "pools[0].backends[0].port = 70000",
        "less than or equal to 65535",
    ),
    (
        "two pools on one vip:port",
        config(pools=[BASE["pools"][0], {**BASE["pools"][0], "name": "other"}]),
        "pools[1].port = 2055",
        "already listens on 198.18.0.100:2055",
    ),
    ("pool without backends", config(pools__0__backends=[]), "pools[0].backends", "at least 1 item"),
    (
        "backend hostname",
        config(pools__0__backends=["collector-1:2055"]),
        "pools[0].backends[0] = 'collector-1:2055'",
        "literal IP:port",
    ),
    (
        "backend without port",
        config(pools__0__backends=["198.18.0.21"]),
        "pools[0].backends[0] = '198.18.0.21'",
        "is not IP:port",
    ),
    (
        "pool on unknown vip",
        config(pools__0__vip="198.18.0.200"),
        "pools[0].vip = '198.18.0.200'",
        "not a declared VIP",
    ),
    (
        "weight within the priority gap",
        config(health={"weight": -20}),
        "health.weight = -20",
        "priority gap between the top two nodes is 50",
    ),
    (
        "transparent across families",
        config(pools__0__source="transparent", pools__0__backends=["[2001:db8::21]:2055"]),
        "pools[0].backends[0] = '[2001:db8::21]:2055'",
        "address family",
    ),
    ("unknown key", config(vrrp={"advertInt": 1}), "vrrp.advertInt", "Extra inputs are not permitted"),
    ("ssh target without ssh", config(target="ssh"), "nodes[0].ssh = None", "needs an ssh connection"),
    (
        "ipv6 with vrrpv2",
        {
            **config(vrrp={"version": 2, "advertInterval": 1}),
            "nodes": [
                {"name": "lb1", "address": "2001:db8::11/64", "priority": 150},
                {"name": "lb2", "address": "2001:db8::12/64", "priority": 100},
            ],
            "vips": [{"address": "2001:db8::100/64", "vrid": 51}],
            "pools": [{"name": "nf", "vip": "2001:db8::100", "port": 2055, "backends": ["[2001:db8::21]:2055"]}],
        },
        "vrrp.version = 2",
        "IPv4 only",
    ),
]


@pytest.mark.parametrize(("raw", "path_and_value", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_names_key_value_and_fix(raw: dict[str, Any], path_and_value: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack(raw)
    lines = [line for line in str(caught.value).splitlines() if f"- {path_and_value}" in line]
    assert lines, f"no problem names {path_and_value!r} in:\n{caught.value}"
    assert any(fix in line for line in lines), f"{path_and_value!r} does not say {fix!r}:\n{caught.value}"


def test_every_problem_is_reported_together() -> None:
    # Field errors come from one pass; rules across fields run once every field is valid.
    raw = config(nodes__1__priority=300, vips__0__vrid=0, pools__0__port=70000, vrrp={"advertInterval": -1})
    with pytest.raises(ConfigError) as caught:
        parse_stack(raw)
    assert {problem.path for problem in caught.value.problems} == {
        "nodes[1].priority",
        "vips[0].vrid",
        "pools[0].port",
        "vrrp.advertInterval",
    }
    raw = config(nodes__1__priority=150, vrrp={"version": 3, "password": "x"}, vips__0__preferred="nobody")
    with pytest.raises(ConfigError) as caught:
        parse_stack(raw)
    assert {p.path for p in caught.value.problems} == {
        "nodes[0].priority",
        "nodes[1].priority",
        "vrrp.password",
        "vips[0].preferred",
    }


def test_password_never_appears_in_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack(config(vrrp={"version": 2, "advertInterval": 1, "password": "hunter2-long"}))
    assert "hunter2" not in str(caught.value)


def test_prefix_names_the_pulumi_config_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack(config(nodes__0__priority=999))
    assert "- ha-udp-lb:nodes[0].priority = 999" in str(caught.value.with_prefix("ha-udp-lb:"))


def test_a_valid_config_parses_with_defaults() -> None:
    stack = parse_stack(BASE)
    assert stack.vrrp.version == 3 and stack.vrrp.unicast
    assert stack.health.weight == 0
    assert stack.pools[0].backends[1].endpoint == "198.18.0.22:2055"
    assert stack.preferred_node(stack.vips[0]).name == "lb1"


def test_a_nonzero_weight_beyond_the_gap_is_accepted() -> None:
    assert parse_stack(config(health={"weight": -60})).health.weight == -60

"""Malformed stack configs, second half: the nginx socket watcher, pools, backends, collector health
checks, the kernel plane, tuning and top-level keys (the first half: tests/validation_cases.py)."""

from __future__ import annotations

from tests.base_config import BASE, config
from tests.validation_case import Case

POOL_CASES: list[Case] = [
    # health (nginx socket watcher)
    Case("weight within the priority gap", config(health={"weight": -20}), "health.weight", "priority gap"),
    Case("weight lifts past 254", config(health={"weight": 150}), "health.weight", "past 254"),
    Case(
        "watch interval too fast",
        config(health={"watchIntervalMs": 1}),
        "health.watchIntervalMs",
        "greater than or equal to 5",
    ),
    Case("check interval 0", config(health={"checkInterval": 0}), "health.checkInterval", "greater than or equal to 1"),
    Case("health typo", config(health={"wieght": 0}), "health.wieght", "did you mean 'weight'"),
    # pools
    Case("no pools", config(pools=[]), "pools", "at least 1 item"),
    Case("port 0", config(pools__0__port=0), "pools[0].port", "greater than or equal to 1"),
    Case("port 65536", config(pools__0__port=65536), "pools[0].port", "less than or equal to 65535"),
    Case("pool name bad", config(pools__0__name="NetFlow"), "pools[0].name", "lowercase letters"),
    Case(
        "pool name reused",
        config(pools=[BASE["pools"][0], {**BASE["pools"][0], "port": 2056}]),
        "pools[1].name",
        "more than one pool",
    ),
    Case(
        "two pools on one vip:port",
        config(pools=[BASE["pools"][0], {**BASE["pools"][0], "name": "other"}]),
        "pools[1].port",
        "already listens on 198.18.0.100:2055",
    ),
    Case("pool on unknown vip", config(pools__0__vip="198.18.0.200"), "pools[0].vip", "not a declared VIP"),
    Case("pool vip with prefix", config(pools__0__vip="198.18.0.100/24"), "pools[0].vip", "IPv4 or IPv6 address"),
    Case("pool without backends", config(pools__0__backends=[]), "pools[0].backends", "at least 1 item"),
    Case("pool typo", config(pools__0__backend=["198.18.0.21:2055"]), "pools[0].backend", "did you mean 'backends'"),
    Case(
        "pool missing port",
        config(pools=[{k: v for k, v in BASE["pools"][0].items() if k != "port"}]),
        "pools[0].port",
        "is required",
    ),
    Case(
        "session timeout 0", config(pools__0__sessionTimeout=0), "pools[0].sessionTimeout", "greater than or equal to 1"
    ),
    Case("source bad", config(pools__0__source="spoof"), "pools[0].source", "'none' or 'transparent'"),
    Case("hash key typo", config(pools__0__hashKey="$remote_adr"), "pools[0].hashKey", "$remote_addr"),
    Case("hash key free text", config(pools__0__hashKey="ip"), "pools[0].hashKey", "nginx stream variables"),
    Case("hash key empty", config(pools__0__hashKey=""), "pools[0].hashKey", "nginx stream variables"),
    Case(
        "transparent across families",
        config(pools__0__dataPlane="nginx", pools__0__backends=["[2001:db8::21]:2055"]),
        "pools[0].backends[0]",
        "use source none for mixed families",
    ),
    # backends
    Case(
        "backend hostname", config(pools__0__backends=["collector-1:2055"]), "pools[0].backends[0]", "literal IP:port"
    ),
    Case("backend without port", config(pools__0__backends=["198.18.0.21"]), "pools[0].backends[0]", "is not IP:port"),
    Case(
        "backend zero-padded", config(pools__0__backends=["198.18.0.021:2055"]), "pools[0].backends[0]", "198.18.0.21"
    ),
    Case(
        "backend bad octet",
        config(pools__0__backends=["198.18.0.300:2055"]),
        "pools[0].backends[0]",
        "four numbers 0-255",
    ),
    Case("backend port 70000", config(pools__0__backends=["198.18.0.21:70000"]), "pools[0].backends[0].port", "65535"),
    Case(
        "backend port 0",
        config(pools__0__backends=["198.18.0.21:0"]),
        "pools[0].backends[0].port",
        "greater than or equal to 1",
    ),
    Case(
        "backend unspecified",
        config(pools__0__backends=["0.0.0.0:2055"]),
        "pools[0].backends[0].address",
        "unspecified",
    ),
    Case(
        "backend multicast", config(pools__0__backends=["239.1.1.1:2055"]), "pools[0].backends[0].address", "multicast"
    ),
    Case("backend loopback", config(pools__0__backends=["127.0.0.1:2055"]), "pools[0].backends[0].address", "loopback"),
    Case(
        "backend twice",
        config(pools__0__backends=["198.18.0.21:2055", "198.18.0.21:2055"]),
        "pools[0].backends[1]",
        "raise its weight",
    ),
    Case(
        "backend is a node",
        config(pools__0__backends=["198.18.0.11:2055"]),
        "pools[0].backends[0]",
        "load-balancer address",
    ),
    Case(
        "backend is the vip",
        config(pools__0__backends=["198.18.0.100:2055"]),
        "pools[0].backends[0]",
        "load-balancer address",
    ),
    Case(
        "endpoint and port",
        config(pools__0__backends=[{"endpoint": "198.18.0.21:2055", "port": 9}]),
        "pools[0].backends[0]",
        "beside endpoint",
    ),
    Case("endpoint not a string", config(pools__0__backends=[{"endpoint": 2055}]), "pools[0].backends[0]", "IP:port"),
    Case(
        "backend weight 0",
        config(pools__0__backends=[{"endpoint": "198.18.0.21:2055", "weight": 0}]),
        "pools[0].backends[0].weight",
        "greater than or equal to 1",
    ),
    Case(
        "backend weight 101",
        config(pools__0__backends=[{"endpoint": "198.18.0.21:2055", "weight": 101}]),
        "pools[0].backends[0].weight",
        "less than or equal to 100",
    ),
    Case(
        "backend weight bool",
        config(pools__0__backends=[{"endpoint": "198.18.0.21:2055", "weight": True}]),
        "pools[0].backends[0].weight",
        "whole number",
    ),
    Case(
        "backend typo",
        config(pools__0__backends=[{"endpoint": "198.18.0.21:2055", "wieght": 2}]),
        "pools[0].backends[0].wieght",
        "did you mean 'weight'",
    ),
    Case("backend a number", config(pools__0__backends=[2055]), "pools[0].backends[0]", "valid dictionary"),
    # collector health checks
    Case(
        "check interval too fast",
        config(pools__0__healthCheck={"interval": 0.01}),
        "pools[0].healthCheck.interval",
        "greater than or equal to 0.05",
    ),
    Case(
        "check timeout >= interval",
        config(pools__0__healthCheck={"interval": 0.1, "timeout": 0.1}),
        "pools[0].healthCheck.timeout",
        "shorter than interval",
    ),
    Case(
        "check hold-down too short",
        config(pools__0__healthCheck={"holdDown": 1}),
        "pools[0].healthCheck.holdDown",
        "greater than or equal to 2",
    ),
    Case("check probe unknown", config(pools__0__healthCheck={"probe": "ping"}), "pools[0].healthCheck.probe", "'udp'"),
    Case(
        "check tcp without port",
        config(pools__0__healthCheck={"probe": "tcp"}),
        "pools[0].healthCheck.port",
        "e.g. 8080",
    ),
    Case(
        "check port without tcp",
        config(pools__0__healthCheck={"port": 8080}),
        "pools[0].healthCheck.port",
        "only by probe tcp or http",
    ),
    Case(
        "check path without http",
        config(pools__0__healthCheck={"probe": "tcp", "port": 8080, "path": "/h"}),
        "pools[0].healthCheck.path",
        "only with probe http",
    ),
    Case(
        "check path relative",
        config(pools__0__healthCheck={"probe": "http", "port": 8080, "path": "health"}),
        "pools[0].healthCheck.path",
        "such as /__health",
    ),
    Case(
        "check enabled string",
        config(pools__0__healthCheck={"enabled": "no"}),
        "pools[0].healthCheck.enabled",
        "true or false",
    ),
    Case(
        "check typo",
        config(pools__0__healthCheck={"holddown": 5}),
        "pools[0].healthCheck.holddown",
        "did you mean 'holdDown'",
    ),
    # tuning
    Case("workers 0", config(tuning={"workers": 0}), "tuning.workers", "1 to 1024"),
    Case("workers string", config(tuning={"workers": "4"}), "tuning.workers", "auto (one per core) or 1 to 1024"),
    Case(
        "worker connections small",
        config(tuning={"workerConnections": 10}),
        "tuning.workerConnections",
        "greater than or equal to 64",
    ),
    Case(
        "receive buffer small",
        config(tuning={"receiveBuffer": 1}),
        "tuning.receiveBuffer",
        "greater than or equal to 65536",
    ),
    Case("tuning typo", config(tuning={"worker": 2}), "tuning.worker", "did you mean 'workers'"),
    # top level
    Case("top-level typo", {**BASE, "tunning": {"workers": 2}}, "tunning", "did you mean 'tuning'"),
    Case(
        "top-level unknown",
        {**BASE, "colour": "blue"},
        "colour",
        "valid keys: allowedSources, bgp, health, metrics, nodes, pools, routing, target",
    ),
]
POOL_CASES += [
    Case("node address a number", config(nodes__0__address=5), "nodes[0].address", "write it as text"),
    Case("node address true", config(nodes__0__address=True), "nodes[0].address", "write it as text"),
    Case("pool vip a number", config(pools__0__vip=3323068516), "pools[0].vip", "write it as text"),
    Case(
        "backend address a number",
        config(pools__0__backends=[{"address": 1, "port": 2055}]),
        "pools[0].backends[0].address",
        "write it as text",
    ),
]
POOL_CASES += [
    Case("kernel plane unknown", config(pools__0__dataPlane="xdp"), "pools[0].dataPlane", "'nginx' or 'kernel'"),
    Case(
        "kernel plane with transparent",
        config(pools__0__dataPlane="kernel", pools__0__source="transparent"),
        "pools[0].source",
        "always keeps the exporter's address",
    ),
    Case(
        "kernel plane hashing the server",
        config(pools__0__dataPlane="kernel", pools__0__hashKey="$server_addr"),
        "pools[0].hashKey",
        "the kernel plane hashes one of",
    ),
    Case(
        "kernel plane across families",
        config(pools__0__dataPlane="kernel", pools__0__backends=["[2001:db8::21]:2055"]),
        "pools[0].backends[0]",
        "VIP's address family",
    ),
    Case(
        "kernel plane weights too heavy",
        config(
            pools__0__dataPlane="kernel",
            pools__0__backends=[{"endpoint": f"198.18.0.{21 + i}:2055", "weight": 100} for i in range(7)],
        ),
        "pools[0].backends",
        "total weight 655 at most",
    ),
]
POOL_CASES += [
    Case(
        "netflow hidden from its collectors",
        config(pools__0__dataPlane="nginx", pools__0__source="none"),
        "pools[0].source",
        "decode each other's records",
    ),
    Case(
        "ipfix named hidden from its collectors",
        config(pools__0__dataPlane="nginx", pools__0__source="none", pools__0__port=4000, pools__0__protocol="ipfix"),
        "pools[0].source",
        "add mergeExporters: true",
    ),
    Case(
        "mergeExporters where nothing is merged",
        config(pools__0__mergeExporters=True),
        "pools[0].mergeExporters",
        "only with dataPlane nginx and source none",
    ),
    Case(
        "mergeExporters not a boolean",
        config(pools__0__mergeExporters="yes"),
        "pools[0].mergeExporters",
        "true or false",
    ),
    Case("protocol unknown", config(pools__0__protocol="jflow"), "pools[0].protocol", "'netflow'"),
]

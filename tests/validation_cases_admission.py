"""Malformed stack configs: what a pool admits (`allowedSources`, stack-wide or per pool), each
exporter's `rateLimit`, what the health agent sends on the wire, and what it replays (`templateReplay`)."""

from __future__ import annotations

from tests.base_config import config
from tests.validation_case import Case

ADMISSION_CASES: list[Case] = [
    Case(
        "no echo with a udp probe",
        config(pools__0__healthCheck={"echo": False}),
        "pools[0].healthCheck.echo",
        "use probe tcp or http",
    ),
    Case(
        "check path not ASCII",
        config(pools__0__healthCheck={"probe": "http", "port": 8080, "path": "/café"}),
        "pools[0].healthCheck.path",
        "percent-encode the rest",
    ),
    Case(
        "source prefix with host bits",
        config(pools__0__allowedSources=["198.18.0.7/24"]),
        "pools[0].allowedSources[0]",
        "write the prefix it is in: 198.18.0.0/24",
    ),
    Case(
        "source prefix not a prefix",
        config(pools__0__allowedSources=["routers"]),
        "pools[0].allowedSources[0]",
        "is not a prefix",
    ),
    Case("source prefix a number", config(allowedSources=[10]), "allowedSources[0]", "write it as text"),
    Case("no source prefixes", config(pools__0__allowedSources=[]), "pools[0].allowedSources", "at least 1 item"),
    Case(
        "source prefix of the other family",
        config(pools__0__allowedSources=["198.18.0.0/24", "2001:2::/48"]),
        "pools[0].allowedSources[1]",
        "listens on IPv4 (198.18.0.100), so its exporters send IPv4",
    ),
    Case(
        "stack's sources without the pool's family",
        config(allowedSources=["2001:2::/48"]),
        "allowedSources",
        "pool netflow (IPv4, 198.18.0.100) would refuse every exporter",
    ),
    Case(
        "rate limit 0",
        config(pools__0__rateLimit={"perSecond": 0}),
        "pools[0].rateLimit.perSecond",
        "greater than or equal to 1",
    ),
    Case(
        "rate limit text",
        config(pools__0__rateLimit={"perSecond": "1000"}),
        "pools[0].rateLimit.perSecond",
        "without quotes",
    ),
    Case(
        "rate limit without rate", config(pools__0__rateLimit={"burst": 10}), "pools[0].rateLimit.perSecond", "required"
    ),
    Case(
        "rate limit burst 0",
        config(pools__0__rateLimit={"perSecond": 10, "burst": 0}),
        "pools[0].rateLimit.burst",
        "greater than or equal to 1",
    ),
    Case("rate limit typo", config(pools__0__rateLimit={"perSecnd": 10}), "pools[0].rateLimit.perSecnd", "perSecond"),
    Case(
        "templates replayed on a pool without any",
        config(pools__0__port=514, pools__0__templateReplay=True),
        "pools[0].templateReplay",
        "carries syslog, which has no templates to replay",
    ),
    Case(
        "templates replayed on IPv6",
        config(
            vips=[{"address": "2001:2::100/64", "vrid": 51}],
            pools__0__vip="2001:2::100",
            pools__0__backends=["[2001:2::21]:2055"],
            pools__0__templateReplay=True,
        ),
        "pools[0].templateReplay",
        "IPv4 pools only for now",
    ),
    Case(
        "templateReplay not a boolean",
        config(pools__0__templateReplay="on"),
        "pools[0].templateReplay",
        "true or false",
    ),
]

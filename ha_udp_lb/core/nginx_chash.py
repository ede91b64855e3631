"""The collector nginx gives an exporter: `hash $remote_addr consistent` (ngx_stream_upstream_hash_module,
ketama as Cache::Memcached::Fast does it). Each server of the upstream, down or not, puts weight x 160
points on a ring of CRC32s of "HOST\\0PORT" followed by the previous point; an exporter's key (its
address as text) hashes with CRC32 to a spot on the ring, and the first point at or after it whose server
is not down is the one (at most 20 points tried, then nginx falls back to round robin). Reproduced so
that `ha-udp-lb where` can say it from the node's live pool file; the lab checks it against nginx."""

from __future__ import annotations

import bisect
import re
import zlib
from dataclasses import dataclass

POINTS_PER_WEIGHT = 160
TRIES = 20


@dataclass(frozen=True)
class Server:
    endpoint: str
    """As the pool file writes it: `198.18.0.21:5514`, `[2001:2::21]:5514`."""
    weight: int = 1
    down: bool = False


def ring(servers: list[Server]) -> list[tuple[int, str]]:
    """(point, endpoint), sorted, a repeated point kept once (nginx keeps the first after sorting)."""
    points = []
    for server in servers:
        host, _, port = server.endpoint.rpartition(":")
        base = host.encode() + b"\0" + port.encode()
        previous = 0
        for _ in range(server.weight * POINTS_PER_WEIGHT):
            previous = zlib.crc32(base + previous.to_bytes(4, "little"))
            points.append((previous, server.endpoint))
    points.sort(key=lambda point: point[0])
    return [point for i, point in enumerate(points) if i == 0 or point[0] != points[i - 1][0]]


def choose(servers: list[Server], key: bytes) -> str | None:
    """The endpoint nginx sends datagrams hashing to `key` (the hash variable's value: `$remote_addr`'s
    text, `$binary_remote_addr`'s bytes) to; None where every server tried is down (nginx then picks
    round robin, so no one endpoint can be named)."""
    points = ring(servers)
    down = {server.endpoint for server in servers if server.down}
    start = bisect.bisect_left([point for point, _ in points], zlib.crc32(key))
    for tried in range(TRIES):
        endpoint = points[(start + tried) % len(points)][1]
        if endpoint not in down:
            return endpoint
    return None


SERVER_LINE = re.compile(r"^\s*server\s+(?P<endpoint>\S+)(?P<options>[^;]*);", re.MULTILINE)


def servers_in(pool_file: str) -> list[Server]:
    """The upstream's servers as a pool file (core.render, marked by the health agent) lists them."""
    upstream = pool_file[pool_file.find("upstream ") :]
    servers = []
    for match in SERVER_LINE.finditer(upstream[: upstream.find("}")]):
        options = match["options"].split()
        weight = next((int(o.split("=", 1)[1]) for o in options if o.startswith("weight=")), 1)
        servers.append(Server(match["endpoint"], weight, "down" in options))
    return servers

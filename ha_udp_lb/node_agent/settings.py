"""What the agent reads from its settings (the node's health.json, rendered by core.render): each pool's
collectors and checks, and the collector hosts to probe with the strictest schedule of the pools that
use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .judge import CheckSettings, HostEvidence
from .kernel import KernelPool
from .probes import Outcome


@dataclass
class Host:
    """One collector host's probe schedule, the strictest of the pools that use it."""

    address: str
    interval_ns: int
    timeout_ns: int
    fall: int
    ports: list[int]
    """Ports probed with empty datagrams, round-robin, one per tick."""
    echo: bool = True
    """Echo requests are sent (some pool using the host wants them: `healthCheck.echo`)."""
    evidence: HostEvidence = field(default_factory=HostEvidence)
    next_tick_ns: int = 0
    pending: tuple[int, int, int] | None = None
    """(seq, sent ns, deadline ns) of the echo awaiting its reply."""
    seq: int = 0
    turn: int = 0
    burst_ns: int = 0


@dataclass
class PoolConfig:
    name: str
    file: str | None
    """nginx plane: the pool file whose servers get marked down."""
    kernel: KernelPool | None
    """kernel plane: the slot maps that get swapped."""
    backends: dict[str, tuple[str, int]]
    """Endpoint → (address, port)."""
    check: CheckSettings


def pool_configs(config: dict[str, Any]) -> list[PoolConfig]:
    pools = []
    for p in config["pools"]:
        backends = {b["endpoint"]: (b["address"], b["port"]) for b in p["backends"]}
        check = CheckSettings(**p["check"])
        slots = None
        if p.get("kernel"):
            k = p["kernel"]
            listed = [(endpoint, address, port) for endpoint, (address, port) in backends.items()]
            slots = KernelPool(k["table"], k["id"], k["ruleset"], listed, k["weights"], k["size"])
        pools.append(PoolConfig(p["name"], p["file"], slots, backends, check))
    return pools


def tally(evidence: HostEvidence, port: int, outcome: Outcome, now: int) -> None:
    if outcome == "refused":
        evidence.check_refused_ns[port] = now
    if outcome == "passed":
        evidence.check_successes[port] = evidence.check_successes.get(port, 0) + 1
        evidence.check_failures[port] = 0
    else:
        evidence.check_failures[port] = evidence.check_failures.get(port, 0) + 1
        evidence.check_successes[port] = 0
        evidence.last_check_failure_ns[port] = now


def probe_hosts(pool_configs: list[PoolConfig]) -> dict[str, Host]:
    hosts: dict[str, Host] = {}
    for pool in pool_configs:
        check = pool.check
        for address, port in pool.backends.values():
            host = hosts.setdefault(
                address,
                Host(address, int(check.interval * 1e9), int(check.timeout * 1e9), check.fall, [], check.echo),
            )
            host.echo = host.echo or check.echo
            host.interval_ns = min(host.interval_ns, int(check.interval * 1e9))
            host.timeout_ns = min(host.timeout_ns, int(check.timeout * 1e9))
            host.fall = max(host.fall, check.fall)
            if check.probe == "udp" and port not in host.ports:
                host.ports.append(port)
    return hosts

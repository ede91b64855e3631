"""The kernel data plane's slot maps as the agent changes them: when a pool's healthy set changes,
the slots whose collector changes are swapped in one nftables transaction (over netlink: 2,700 slots
in 40 ms, where nft first reads every element of the table) — no reload, nothing else touched."""

from __future__ import annotations

import ipaddress
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from ha_udp_lb import slot_table as slots

from . import commands, netlink

MISSING_LOOKS = 2
"""Looks in a row that find the table missing before keepalived hears of it (or BGP withdraws): one odd
answer fails nothing over."""


@dataclass
class KernelPool:
    table: str
    """The project's nftables table (family inet)."""
    id: str
    """The pool's maps are <id>_addrs and <id>_ports."""
    ruleset: str
    """The file that loads the whole table, every collector healthy."""
    backends: list[tuple[str, str, int]]
    """(endpoint, address, port) in the stack's order."""
    weights: list[int]
    size: int
    base: list[int] = field(init=False)
    """The slots as the ruleset file loads them: every collector healthy."""
    ranked: list[tuple[int, ...]] = field(init=False)

    def __post_init__(self) -> None:
        names = [b[0] for b in self.backends]
        self.base = slots.base_table(names, self.weights, self.size)
        self.ranked = slots.rankings(names, self.weights, self.size)

    def table_for(self, healthy: set[str]) -> list[int]:
        indices = {i for i, b in enumerate(self.backends) if b[0] in healthy}
        return slots.table(self.base, self.ranked, indices)


def transaction(pool: KernelPool, before: list[int], after: list[int]) -> dict[str, list[netlink.Element]]:
    """The map elements that move the changed slots from `before` to `after` ({} when none changed):
    the slot in host order (numgen's register), the address and port in network order."""
    changed = [slot for slot, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    if not changed:
        return {}
    # Each collector's address and port packed once, not once per slot: a third of 8,191 slots moves
    # when one of three collectors dies, and this runs before they move. And each map only where its
    # value changes: collectors of a pool mostly share their port, so the ports map mostly stays, and
    # the kernel's share of a swap (a deletion and an addition per element) halves.
    addrs = [ipaddress.ip_address(address).packed for _, address, _ in pool.backends]
    ports = [struct.pack("!H", port) for _, _, port in pool.backends]
    return {
        f"{pool.id}_addrs": _differing(changed, before, after, addrs),
        f"{pool.id}_ports": _differing(changed, before, after, ports),
    }


def _differing(slots: list[int], before: list[int], after: list[int], values: list[bytes]) -> list[netlink.Element]:
    """(slot key, new value) of `slots` whose value changes; a slot held as -1 (unknown) always does."""
    return [
        (struct.pack("=I", slot), values[after[slot]])
        for slot in slots
        if before[slot] < 0 or values[before[slot]] != values[after[slot]]
    ]


def read_slots(pool: KernelPool) -> list[int]:
    """The slots as the kernel holds them: each slot's backend index, -1 where it names no collector of
    the pool (or the slot is missing)."""
    addrs = netlink.map_elements(pool.table, f"{pool.id}_addrs")
    ports = netlink.map_elements(pool.table, f"{pool.id}_ports")
    index = {(ipaddress.ip_address(a).packed, struct.pack("!H", p)): i for i, (_, a, p) in enumerate(pool.backends)}
    keys = (struct.pack("=I", slot) for slot in range(pool.size))
    return [index.get((addrs.get(key, b""), ports.get(key, b"")), -1) for key in keys]


def run(table: str, maps: dict[str, list[netlink.Element]]) -> str | None:
    """Swap the elements in one nftables transaction; the kernel's refusal when it refuses (nothing changed)."""
    try:
        netlink.replace_elements(table, maps)
    except OSError as error:
        return str(error)
    return None


def parse_counters(listing: str) -> dict[str, tuple[int, int]]:
    """`nft -j list counters` → counter name → (packets, bytes)."""
    try:
        items = json.loads(listing).get("nftables", [])
    except ValueError:
        return {}
    found = (item["counter"] for item in items if "counter" in item)
    return {c["name"]: (int(c["packets"]), int(c["bytes"])) for c in found}


def refusal_metrics(firewall: dict[str, Any]) -> str:
    """Prometheus text for what the table drops: per pool and cause (`source`: not in allowedSources,
    `rate`: over rateLimit), and what was routed through the node that no pool rewrote."""
    if not firewall:
        return ""
    counts = netlink.counters(firewall["table"])
    lines = [
        "# HELP ha_udp_lb_refused_datagrams_total Datagrams a pool refused: its allowedSources or rateLimit.",
        "# TYPE ha_udp_lb_refused_datagrams_total counter",
    ]
    for pool, causes in sorted(firewall["refused"].items()):
        for cause, counter in sorted(causes.items()):
            lines.append(
                f'ha_udp_lb_refused_datagrams_total{{pool="{pool}",cause="{cause}"}} {counts.get(counter, (0, 0))[0]}'
            )
    lines += [
        "# HELP ha_udp_lb_forward_refused_total Packets routed through the node that were not a pool's datagram.",
        "# TYPE ha_udp_lb_forward_refused_total counter",
        f"ha_udp_lb_forward_refused_total {counts.get(firewall['forward_refused'], (0, 0))[0]}",
    ]
    return "\n".join(lines) + "\n"


def loaded(table: str) -> bool | None:
    """Whether `table` is there; None when the kernel did not say (netlink.table_exists)."""
    return netlink.table_exists(table)


def handle(table: str) -> int:
    """The table's handle (netlink.table_state): a new one means the table was loaded again."""
    return netlink.table_state(table)[1]


def reload(ruleset: str) -> str | None:
    """The whole table again, from its file: after a firewall reload flushed it."""
    return commands.run(["nft", "-f", ruleset])

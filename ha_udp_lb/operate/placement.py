"""Where an exporter's datagrams go now, from a node's live state: the kernel plane's slot maps (the
slot is the kernel's jhash of the exporter's address, slot_table.kernel_hash) or nginx's pool file with
the servers the agent marked down (core.nginx_chash)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from ha_udp_lb import slot_table as slots
from ha_udp_lb.core import nginx_chash
from ha_udp_lb.core.addresses import host_port
from ha_udp_lb.core.model import Pool
from ha_udp_lb.slot_table.kernel_hash import slot_of


@dataclass(frozen=True)
class Placement:
    collector: str | None
    """The collector's endpoint; None where the node cannot name one (nginx with every server down)."""
    how: str
    """What decided it, for the operator: the slot, or the ring."""


def on_kernel(pool: Pool, address: str, addrs: str, ports: str) -> Placement:
    """`addrs`, `ports`: `nft -j list map` of the pool's two slot maps, as the node holds them now."""
    size = slots.table_size([b.weight for b in pool.backends])
    slot = slot_of(address, size, slots.seed(pool.name))
    hosts, numbers = _map(addrs), _map(ports)
    if len(hosts) != size or len(numbers) != size:
        raise ValueError(
            f"the node's maps for pool {pool.name} hold {len(hosts)} slots, the stack says {size}: "
            "the node runs another deployment (pulumi up)"
        )
    endpoint = host_port(ipaddress.ip_address(hosts[slot]), int(numbers[slot]))
    return Placement(endpoint, f"slot {slot} of {size} (jhash seed {slots.seed(pool.name):#010x})")


def on_nginx(pool: Pool, pool_file: str, address: str) -> Placement:
    servers = nginx_chash.servers_in(pool_file)
    exporter = ipaddress.ip_address(address)
    key = exporter.packed if pool.hash_key == "$binary_remote_addr" else str(exporter).encode()
    chosen = nginx_chash.choose(servers, key)
    down = sorted(s.endpoint for s in servers if s.down)
    said = f"nginx's consistent hash over {len(servers)} servers" + (f", {', '.join(down)} down" if down else "")
    return Placement(chosen, said if chosen else "every server nginx would try is down: it picks round robin")


def _map(listing: str) -> dict[int, Any]:
    items = json.loads(listing)["nftables"]
    elements = next(item["map"] for item in items if "map" in item).get("elem", [])
    return {int(slot): target for slot, target in elements}

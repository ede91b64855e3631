"""Before a deploy's new table can move an exporter (a collector's weight changed, one added or taken
out): every collector of each pool whose templates follow its exporters is given every kept exporter's
templates, as that exporter (its address and port), straight from this node. Whatever collector the new
table sends an exporter to then decodes its first record; the replay after the table (template_keeper)
came 100–140 ms late, and that much of each moved exporter's records was lost.

`apply` runs it (`python3 -m ha_udp_lb.node_agent preseed CONFIG`) with the new configuration, so a
collector the deploy adds is among them, from the cache the running agent saved. Only the node holding a
pool's VIP sends; a collector takes templates it already has as a refresh."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

from .local_address import held
from .replay_device import udp_packet

PACE_EVERY, PACE_S = 10, 0.001
"""At most ~10,000 packets a second: thousands of exporters' templates times every collector, sent at
once, could fill a collector's socket buffer and cost it the exporters' data arriving meanwhile."""


def preseed(config: dict[str, Any]) -> int:
    """Send; returns how many packets went out."""
    settings = config.get("templates") or {}
    pools = {p["name"]: p for p in settings.get("pools", [])}
    try:
        saved = json.loads(Path(str(settings.get("state", ""))).read_text())
    except (OSError, ValueError):
        return 0
    holding = held([p["vip"] for p in pools.values()], bool(settings.get("every_node_holds")))
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        for name, address, port, payload in saved if isinstance(saved, list) else []:
            pool = pools.get(str(name))
            if pool is None or pool["vip"] not in holding:
                continue
            for collector, collector_port in pool["collectors"]:
                packet = udp_packet(str(address), int(port), collector, collector_port, bytes.fromhex(str(payload)))
                try:
                    raw.sendto(packet, (collector, 0))
                except OSError:  # one collector unreachable from here: the others still get theirs
                    continue
                sent += 1
                if sent % PACE_EVERY == 0:
                    time.sleep(PACE_S)
    return sent

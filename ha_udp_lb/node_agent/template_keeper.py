"""Template continuity: the node keeps every NetFlow v9/IPFIX exporter's templates as its table copies
them to the agent, and when an exporter's collector changes (a collector died or returned, the table
was reloaded, the agent restarted after a deploy) replays them into the node as that exporter, so the
new collector can decode its very next record instead of waiting minutes for the exporter's refresh.

Only the node that holds the pool's VIP replays (the VRRP master; every node with `routing: bgp`), so
a collector hears each exporter's templates from one node; every node keeps them (template_share), so
a new master has them too. The cache is written to the node's run directory as the packets a replay
would send, and read back when the agent starts."""

from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path
from typing import Any

from . import netlink, report
from .local_address import holds
from .replay_device import ReplayDevice
from .template_cache import TemplateCache
from .template_log import Datagram, TemplateLog
from .template_share import TemplateShare

REPLAY_AFTER_NS = {
    "kernel": (0, 1_000_000_000),
    "nginx": (0, 100_000_000, 200_000_000, 400_000_000, 800_000_000, 1_600_000_000),
}
"""When a pool's replays go out after its change: the kernel plane's rewrite is live at once (one more a
second later, should that one have been lost); nginx's new workers take over from the old some time
after a reload (0.1–0.5 s measured), and a replay the old ones forward reaches the old collector, so
nginx pools get one at every doubling. A collector takes a template it already has as a refresh."""
SAVE_EVERY_NS = 1_000_000_000
SHARE_AGAIN_NS = 60_000_000_000
OPTIONS_SET_SIZE = 65_536
"""The size of the table's set of options templates (kernel.nft.j2)."""


class TemplateKeeper:
    def __init__(self, settings: dict[str, Any] | None) -> None:
        settings = settings or {}
        self.pools: dict[tuple[str, int], str] = {(p["vip"], p["port"]): p["name"] for p in settings.get("pools", [])}
        """(VIP, port) → pool name, for every pool whose templates follow its exporters."""
        self.schedule = {p["name"]: REPLAY_AFTER_NS[p["plane"]] for p in settings.get("pools", [])}
        self.options_sets = {p["name"]: p["options_set"] for p in settings.get("pools", [])}
        """Pool → the table's set of (exporter, options template ID) whose data packets it copies too."""
        self.table = str(settings.get("table", ""))
        self.marked: set[tuple[str, str, int]] = set()
        self.unmarked = 0
        self.path = str(settings.get("state", ""))
        self.on_lo_too = bool(settings.get("every_node_holds"))
        """routing bgp: every node holds every VIP (on lo), and replays for the exporters it receives."""
        self.share: TemplateShare | None = None
        self.shared_ns: dict[tuple[str, str, int], int] = {}
        self.cache = TemplateCache()
        self.log: TemplateLog | None = None
        self.device: ReplayDevice | None = None
        self.taken, self.replayed = 0, {name: 0 for name in self.pools.values()}
        self.due: dict[str, list[int]] = {}
        """Pool → when its next replays go out."""
        self.saved_ns, self.unsaved = 0, False
        if not self.pools:
            return
        try:
            self.log, self.device = TemplateLog(int(settings["group"])), ReplayDevice(str(settings["device"]))
        except OSError as error:  # the node runs on without continuity, and says so (metric, log)
            report.log(f"template continuity off: {error}")
            return
        share = settings.get("share") or {}
        if share.get("peers"):
            try:
                self.share = TemplateShare(str(share["listen"]), list(share["peers"]), int(share["port"]))
            except OSError as error:  # continuity holds on this node; a new master would start cold
                report.log(f"templates not shared with the other nodes: {error}")
        self._load(time.monotonic_ns())

    def sockets(self) -> list[socket.socket]:
        return [s.sock for s in (self.log, self.share) if s is not None]

    def take(self, now: int) -> None:
        """The template packets the table copied since the last turn, and the peers' shares, into the
        cache; what the table copied is shared on."""
        for datagram in self.log.receive() if self.log else []:
            self.taken += 1
            if self._learn(datagram, now) and self.share:
                self.share.send(datagram)
        for datagram in self.share.receive() if self.share else []:
            self._learn(datagram, now, shared=True)

    def table_replaced(self, now: int) -> None:
        """The table was loaded again (a deploy's `apply`, or the agent's own reload): its rewrite may
        send exporters elsewhere, so every pool replays at once — from this agent, before `apply`
        restarts it — and the options templates go back into the table's sets, which came back empty."""
        self.moved(None, now)
        self.marked.clear()
        self._mark(self.cache.options_keys())

    def _mark(self, keys: set[tuple[str, str, int]] | list[tuple[str, str, int]]) -> None:
        """Have the table copy the packets that open with these options templates' data (the sampling
        interval, which exporters often send in packets of its own)."""
        if len(self.marked) >= OPTIONS_SET_SIZE:
            self.marked.clear()  # bounded: marking again what the set holds is harmless
        for pool, address, template_id in set(keys) - self.marked:
            key = socket.inet_aton(address) + struct.pack("!H", template_id) + b"\0\0"  # each part in 4 bytes
            try:
                netlink.add_elements(self.table, self.options_sets[pool], [key])
            except OSError:  # a full set (65,536): that exporter's options data is kept when it rides along
                self.unmarked += 1
                continue
            self.marked.add((pool, address, template_id))

    def _learn(self, datagram: Datagram, now: int, shared: bool = False) -> bool:
        """Into the cache; True when the peers should hear of it (it changed something, or they have not
        heard from this exporter for a minute)."""
        pool = self.pools.get((datagram.destination, datagram.destination_port))
        if pool is None:
            return False
        learned = self.cache.learn(pool, datagram.source, datagram.source_port, datagram.payload, now)
        self.unsaved |= learned
        if self.cache.options_seen:
            self._mark(self.cache.options_seen)
        key = (pool, datagram.source, datagram.source_port)
        if shared or not (learned or now - self.shared_ns.get(key, -SHARE_AGAIN_NS) >= SHARE_AGAIN_NS):
            return False
        if len(self.shared_ns) > 2 * len(self.cache.exporters) + 1024:
            self.shared_ns.clear()  # bounded: forgetting costs at most one share more per exporter
        self.shared_ns[key] = now
        return True

    def moved(self, pools: set[str] | None, now: int) -> None:
        """Exporters of `pools` (None: every pool) now go elsewhere: replay their templates when due."""
        for name in set(self.pools.values()) if pools is None else pools & set(self.pools.values()):
            self.due[name] = [now + after for after in self.schedule[name]]

    def replay(self, now: int) -> int:
        """Send the replays that are due; returns when the next one is."""
        for (vip, port), name in self.pools.items():
            due = self.due.get(name, [])
            if due and due[0] <= now:
                self.due[name] = [at for at in due if at > now]
                if self.device and holds(vip, self.on_lo_too):
                    replays = self.cache.replays(name, now)
                    for replay in replays:
                        self.device.send(replay.address, replay.port, vip, port, replay.payload)
                    self.replayed[name] += len(replays)
        return min((at for due in self.due.values() for at in due), default=now + SAVE_EVERY_NS)

    def keep(self, now: int) -> None:
        """Forget the silent exporters, and save the cache when it changed (at most once a second)."""
        self.unsaved |= self.cache.forget_silent(now) > 0
        if self.unsaved and self.path and now - self.saved_ns >= SAVE_EVERY_NS:
            saved = [
                [name, r.address, r.port, r.payload.hex()]
                for name in self.replayed
                for r in self.cache.replays(name, now)
            ]
            report.write_atomically(self.path, json.dumps(saved))
            self.saved_ns, self.unsaved = now, False

    def _load(self, now: int) -> None:
        try:
            saved = json.loads(Path(self.path).read_text()) if self.path else []
        except (OSError, ValueError):
            return
        for name, address, port, payload in saved if isinstance(saved, list) else []:
            if name in self.replayed:
                self.cache.learn(name, str(address), int(port), bytes.fromhex(str(payload)), now)
        self.moved(None, now)  # a deploy may have moved exporters before this agent started

    def metrics(self) -> str:
        lines = [
            "# HELP ha_udp_lb_template_continuity 1 while the node keeps and replays exporters' templates.",
            "# TYPE ha_udp_lb_template_continuity gauge",
            f"ha_udp_lb_template_continuity {1 if self.device else 0}",
            "# HELP ha_udp_lb_template_exporters Exporters (address, port, source ID) whose templates the node keeps.",
            "# TYPE ha_udp_lb_template_exporters gauge",
            f"ha_udp_lb_template_exporters {len(self.cache.exporters)}",
            "# HELP ha_udp_lb_templates_kept Template and options-template records kept.",
            "# TYPE ha_udp_lb_templates_kept gauge",
            f"ha_udp_lb_templates_kept {self.cache.templates()}",
            "# HELP ha_udp_lb_template_cache_bytes Bytes of records kept (bounded by MAX_BYTES).",
            "# TYPE ha_udp_lb_template_cache_bytes gauge",
            f"ha_udp_lb_template_cache_bytes {self.cache.bytes}",
            "# HELP ha_udp_lb_template_packets_total Template packets the table copied to the agent.",
            "# TYPE ha_udp_lb_template_packets_total counter",
            f"ha_udp_lb_template_packets_total {self.taken}",
            "# HELP ha_udp_lb_template_dropped_total Templates or options data not kept, by cause.",
            "# TYPE ha_udp_lb_template_dropped_total counter",
            f'ha_udp_lb_template_dropped_total{{cause="evicted"}} {self.cache.evicted}',
            f'ha_udp_lb_template_dropped_total{{cause="too_many"}} {self.cache.refused}',
            f'ha_udp_lb_template_dropped_total{{cause="missed"}} {self.log.overruns if self.log else 0}',
            f'ha_udp_lb_template_dropped_total{{cause="options_set_full"}} {self.unmarked}',
            "# HELP ha_udp_lb_template_shares_total Template packets shared between nodes: sent, taken, refused.",
            "# TYPE ha_udp_lb_template_shares_total counter",
            *(f'ha_udp_lb_template_shares_total{{way="{way}"}} {n}' for way, n in self._shares().items()),
            "# HELP ha_udp_lb_template_replays_total Template packets replayed to an exporter's new collector.",
            "# TYPE ha_udp_lb_template_replays_total counter",
        ]
        lines += [f'ha_udp_lb_template_replays_total{{pool="{name}"}} {n}' for name, n in sorted(self.replayed.items())]
        return "\n".join(lines) + "\n"

    def _shares(self) -> dict[str, int]:
        share = self.share
        return {"sent": share.sent, "taken": share.received, "refused": share.refused} if share else {}

"""What a node remembers of each NetFlow v9/IPFIX exporter so that a collector it is moved to can
decode it at once: the latest template and options-template records per template ID, and the latest
options data (sampling interval) per options template, keyed by pool, exporter address and port,
version and source ID / observation domain — the key a collector keeps templates under.

Bounded whatever the exporters send: at most MAX_EXPORTERS exporters, MAX_TEMPLATES templates each and
MAX_BYTES of records in all (the least recently heard exporter goes first), and an exporter unheard
for FORGET_AFTER_NS is forgotten."""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass, field

from .flow_sets import IPFIX, TEMPLATE_SETS, V9, Header, TemplateRecord, parse

MAX_EXPORTERS = 16_384
MAX_TEMPLATES = 128
MAX_BYTES = 16 << 20
FORGET_AFTER_NS = 2 * 3600 * 1_000_000_000
"""Longer than the slowest refresh exporters use (IOS's 30 minutes): one that still sends keeps its entry."""
MAX_PAYLOAD = 1400
"""A replayed packet's UDP payload at most: under any path MTU the collectors sit behind."""

ExporterKey = tuple[str, str, int, int, int]
"""(pool, address, port, version, domain)."""


@dataclass
class Exporter:
    header: Header
    seen_ns: int
    templates: dict[int, TemplateRecord] = field(default_factory=dict)
    options_data: dict[int, bytes] = field(default_factory=dict)
    """Options template ID → its latest data set, whole."""

    def size(self) -> int:
        return sum(len(t.record) for t in self.templates.values()) + sum(map(len, self.options_data.values()))


@dataclass
class Replay:
    address: str
    port: int
    payload: bytes


class TemplateCache:
    def __init__(self, max_exporters: int = MAX_EXPORTERS, max_bytes: int = MAX_BYTES) -> None:
        self.max_exporters, self.max_bytes = max_exporters, max_bytes
        self.exporters: OrderedDict[ExporterKey, Exporter] = OrderedDict()
        self.bytes = 0
        self.refused = 0
        """Template records not kept: past an exporter's MAX_TEMPLATES."""
        self.evicted = 0
        self.options_seen: list[tuple[str, str, int]] = []
        """(pool, address, options template ID) of the options templates in the last packet learned."""

    def learn(self, pool: str, address: str, port: int, payload: bytes, now_ns: int) -> bool:
        """Take in one export packet `address`:`port` sent to `pool`; True when it changed what is kept."""
        packet = parse(payload)
        if packet is None or not (packet.templates or packet.data_sets):
            return False
        self.options_seen = [(pool, address, t.template_id) for t in packet.templates if t.options and t.record]
        key = (pool, address, port, packet.header.version, packet.header.domain)
        exporter = self.exporters.pop(key, None)
        if exporter is not None:
            self.bytes -= exporter.size()
        exporter = exporter or Exporter(packet.header, now_ns)
        changed = _take_templates(exporter, packet.templates, self)
        for set_id, whole in packet.data_sets.items():
            template = exporter.templates.get(set_id)
            if template is not None and template.options and exporter.options_data.get(set_id) != whole:
                exporter.options_data[set_id], changed = whole, True
        exporter.header, exporter.seen_ns = packet.header, now_ns
        if exporter.templates:
            self.exporters[key] = exporter  # the most recently heard last: eviction takes the first
            self.bytes += exporter.size()
        while self.exporters and (len(self.exporters) > self.max_exporters or self.bytes > self.max_bytes):
            _, gone = self.exporters.popitem(last=False)
            self.bytes -= gone.size()
            self.evicted += 1
        return changed

    def forget_silent(self, now_ns: int) -> int:
        silent = [key for key, e in self.exporters.items() if now_ns - e.seen_ns > FORGET_AFTER_NS]
        for key in silent:
            self.bytes -= self.exporters.pop(key).size()
        return len(silent)

    def replays(self, pool: str, now_ns: int) -> list[Replay]:
        """For every exporter of `pool`: the packets that give a collector its templates and options data."""
        found = []
        for (name, address, port, _, _), exporter in self.exporters.items():
            if name == pool:
                found += [Replay(address, port, payload) for payload in packets(exporter, now_ns)]
        return found

    def options_keys(self) -> set[tuple[str, str, int]]:
        """(pool, address, options template ID) of every options template kept."""
        return {
            (key[0], key[1], tid) for key, e in self.exporters.items() for tid, t in e.templates.items() if t.options
        }

    def templates(self) -> int:
        return sum(len(e.templates) for e in self.exporters.values())


def _take_templates(exporter: Exporter, records: list[TemplateRecord], cache: TemplateCache) -> bool:
    changed = False
    for record in records:
        if not record.record:  # withdrawn: the one, or with ID 2/3 every (options) template
            everything = record.template_id in TEMPLATE_SETS[IPFIX]
            kind = record.template_id == TEMPLATE_SETS[IPFIX][1]
            gone = [
                tid
                for tid, kept in exporter.templates.items()
                if tid == record.template_id or (everything and kept.options == kind)
            ]
            for tid in gone:
                del exporter.templates[tid]
                exporter.options_data.pop(tid, None)
                changed = True
            continue
        old = exporter.templates.pop(record.template_id, None)
        if old is None and len(exporter.templates) >= MAX_TEMPLATES:
            cache.refused += 1
            continue
        exporter.templates[record.template_id] = record
        if old != record:
            exporter.options_data.pop(record.template_id, None)  # it described another layout
            changed = True
    return changed


def packets(exporter: Exporter, now_ns: int) -> list[bytes]:
    """The exporter's templates, then options templates, then options data, in as few packets of at most
    MAX_PAYLOAD bytes as they fit, under the exporter's own header (its clock moved on by the time since)."""
    header = exporter.header
    room = MAX_PAYLOAD - (20 if header.version == V9 else 16)
    template_set, options_set = TEMPLATE_SETS[header.version]
    sets: list[tuple[bytes, int]] = []
    """Each whole set, with the records in it (v9 counts them in its header)."""
    body, records, body_id = b"", 0, template_set
    for template in sorted(exporter.templates.values(), key=lambda t: t.options):
        set_id = options_set if template.options else template_set
        if body and (set_id != body_id or len(body) + len(template.record) + 4 > room):
            sets.append((_set(body_id, body), records))
            body, records = b"", 0
        body, records, body_id = body + template.record, records + 1, set_id
    if body:
        sets.append((_set(body_id, body), records))
    for tid, whole in exporter.options_data.items():
        length = exporter.templates[tid].data_length
        sets.append((whole, (len(whole) - 4) // length if length else 1))
    elapsed_ms = max(0, now_ns - exporter.seen_ns) // 1_000_000
    messages, chunk, count = [], b"", 0
    for whole, n in sets:
        if chunk and len(chunk) + len(whole) > room:
            messages.append(_message(header, elapsed_ms, chunk, count))
            chunk, count = b"", 0
        chunk, count = chunk + whole, count + n
    if chunk:
        messages.append(_message(header, elapsed_ms, chunk, count))
    return messages


def _set(set_id: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!HH", set_id, len(body) + 4) + body


def _message(header: Header, elapsed_ms: int, sets: bytes, records: int) -> bytes:
    secs = (header.exported_s + elapsed_ms // 1000) & 0xFFFFFFFF
    if header.version == V9:
        uptime = (header.uptime_ms + elapsed_ms) & 0xFFFFFFFF
        return struct.pack("!HHIIII", V9, records, uptime, secs, header.sequence, header.domain) + sets
    return struct.pack("!HHIII", IPFIX, 16 + len(sets), secs, header.sequence, header.domain) + sets

"""NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets, read for what a new collector needs
before it can decode an exporter: its template and options-template records, and the data records of
its options templates (they carry the sampling interval). Everything else is skipped unread.

Every length in a packet is checked against what is there: a packet that lies about a length yields
the sets before the lie and nothing after it, never an exception and never more work than its bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

V9, IPFIX = 9, 10
V9_HEADER, IPFIX_HEADER = 20, 16
TEMPLATE_SETS = {V9: (0, 1), IPFIX: (2, 3)}
"""Per version: the set IDs of template and of options-template sets."""
FIRST_DATA_SET = 256
ENTERPRISE_BIT = 0x8000


@dataclass(frozen=True)
class Header:
    version: int
    exported_s: int
    """unix seconds (v9 unix_secs, IPFIX export time)."""
    sequence: int
    domain: int
    """v9 source ID, IPFIX observation domain: with the exporter's address and port, whose templates."""
    uptime_ms: int = 0
    """v9 only: the exporter's sysUptime."""


@dataclass(frozen=True)
class TemplateRecord:
    template_id: int
    options: bool
    record: bytes
    """The record as the exporter sent it; empty for a withdrawal."""
    data_length: int
    """Bytes per data record it describes (0: variable-length fields or a withdrawal)."""


@dataclass
class ExportPacket:
    header: Header
    templates: list[TemplateRecord] = field(default_factory=list)
    data_sets: dict[int, bytes] = field(default_factory=dict)
    """Set ID → the whole set (header included), for each data set; the cache keeps only options data."""


def parse(payload: bytes) -> ExportPacket | None:
    """The packet's header, template records and data sets; None when it is not v9 or IPFIX at all."""
    if len(payload) < 2:
        return None
    (version,) = struct.unpack_from("!H", payload)
    if version == V9 and len(payload) >= V9_HEADER:
        _, _, uptime, secs, sequence, domain = struct.unpack_from("!HHIIII", payload)
        packet = ExportPacket(Header(V9, secs, sequence, domain, uptime))
        end, offset = len(payload), V9_HEADER
    elif version == IPFIX and len(payload) >= IPFIX_HEADER:
        _, length, secs, sequence, domain = struct.unpack_from("!HHIII", payload)
        packet = ExportPacket(Header(IPFIX, secs, sequence, domain))
        end, offset = min(length, len(payload)), IPFIX_HEADER
    else:
        return None
    while offset + 4 <= end:
        set_id, length = struct.unpack_from("!HH", payload, offset)
        if length < 4 or offset + length > end:
            break
        body = payload[offset + 4 : offset + length]
        if set_id in TEMPLATE_SETS[version]:
            packet.templates += _records(version, set_id == TEMPLATE_SETS[version][1], body)
        elif set_id >= FIRST_DATA_SET:
            packet.data_sets[set_id] = payload[offset : offset + length]
        offset += length
    return packet


def _records(version: int, options: bool, body: bytes) -> list[TemplateRecord]:
    found, offset = [], 0
    while offset + 4 <= len(body):
        template_id, count = struct.unpack_from("!HH", body, offset)
        if template_id < FIRST_DATA_SET and not (version == IPFIX and count == 0):
            break  # padding (zeros), or nonsense: nothing after it can be trusted
        if version == IPFIX and count == 0:  # a withdrawal (IDs 2 and 3 withdraw every one of a kind)
            found.append(TemplateRecord(template_id, options, b"", 0))
            offset += 4
            continue
        if version == V9 and count == 0:
            break
        if version == V9 and options:  # v9 options: scope and option lengths in bytes, not a count
            if offset + 6 > len(body):
                break
            scope_bytes, option_bytes = struct.unpack_from("!HH", body, offset + 2)
            specs, start = _v9_fields(body, offset + 6, (scope_bytes + option_bytes) // 4)
        else:
            start = offset + (6 if options else 4)
            specs, start = _fields(version, body, start, count)
        if specs is None:
            break
        found.append(TemplateRecord(template_id, options, body[offset:start], _data_length(specs)))
        offset = start
    return found


def _v9_fields(body: bytes, start: int, count: int) -> tuple[list[int] | None, int]:
    end = start + 4 * count
    if count == 0 or end > len(body):
        return None, start
    return [struct.unpack_from("!H", body, start + 4 * n + 2)[0] for n in range(count)], end


def _fields(version: int, body: bytes, start: int, count: int) -> tuple[list[int] | None, int]:
    """Each field's length; None when the record runs past its set."""
    lengths = []
    for _ in range(count):
        if start + 4 > len(body):
            return None, start
        kind, length = struct.unpack_from("!HH", body, start)
        start += 8 if version == IPFIX and kind & ENTERPRISE_BIT else 4
        lengths.append(length)
    return (lengths if start <= len(body) else None), start


def _data_length(lengths: list[int]) -> int:
    return 0 if 0xFFFF in lengths else sum(lengths)

"""A NetFlow v9 or IPFIX exporter with a template of its own layout under the template ID every
exporter uses (256), as routers of different makes do. Run inside an exporter's namespace. Its
template goes out first and then every TEMPLATE_EVERY packets, slower than the data, as real exporters
refresh them; every record carries values only this exporter sends (`records`), so a collector that
decodes one with another exporter's template produces values nobody sent.

Usage: python -m ha_udp_lb.lab.agents.flow_exporter SOURCE HOST:PORT VERSION EXPORTER PACKETS EVERY RATE [SAMPLING]
  VERSION: 9 (NetFlow v9) or 10 (IPFIX); EXPORTER: 0..255, which also picks the layout; EVERY: packets
  between templates; SAMPLING: an
  interval the exporter announces (options template with its template, options data in a packet of its own)
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from typing import NamedTuple

TEMPLATE_ID = 256
SOURCE_ID = 0
"""The v9 source ID / IPFIX observation domain: 0 on every exporter, as many devices leave it."""
RECORDS_PER_PACKET = 10


class Flow(NamedTuple):
    src: str
    dst: str
    sport: int
    dport: int
    proto: int
    packets: int
    octets: int


# (information element, length): the same fields in three orders, so one exporter's records read with
# another's template land in the wrong fields instead of failing to parse.
FIELDS = {"src": (8, 4), "dst": (12, 4), "sport": (7, 2), "dport": (11, 2), "proto": (4, 1), "packets": (2, 4)}
FIELDS |= {"octets": (1, 4)}
LAYOUTS = [
    ["src", "dst", "sport", "dport", "proto", "packets", "octets"],
    ["octets", "packets", "proto", "dport", "sport", "dst", "src"],
    ["dport", "src", "octets", "proto", "dst", "packets", "sport"],
]
V9_TIMES = [(22, 4), (21, 4)]
"""FIRST_SWITCHED, LAST_SWITCHED: milliseconds of sysUptime."""
IPFIX_TIMES = [(152, 8), (153, 8)]
"""flowStartMilliseconds, flowEndMilliseconds."""


def records(exporter: int, count: int) -> list[Flow]:
    """The flows `exporter` sends, in order: every value ties the record to its exporter and number."""
    return [
        Flow(
            f"10.{exporter}.{n // 256}.{n % 256}",
            f"10.200.{exporter}.{n % 256}",
            1024 + exporter,
            n,
            17,
            exporter + 1,
            1000 * (exporter + 1) + n,
        )
        for n in range(count)
    ]


def layout(exporter: int) -> list[str]:
    return LAYOUTS[exporter % len(LAYOUTS)]


def _template(version: int, exporter: int) -> bytes:
    times = V9_TIMES if version == 9 else IPFIX_TIMES
    fields = [FIELDS[name] for name in layout(exporter)] + times
    body = struct.pack("!HH", TEMPLATE_ID, len(fields)) + b"".join(struct.pack("!HH", *f) for f in fields)
    return _set(0 if version == 9 else 2, body)


def _record(version: int, exporter: int, flow: Flow, now_ms: int, uptime_ms: int) -> bytes:
    values = {
        "src": socket.inet_aton(flow.src),
        "dst": socket.inet_aton(flow.dst),
        "sport": struct.pack("!H", flow.sport),
        "dport": struct.pack("!H", flow.dport),
        "proto": bytes([flow.proto]),
        "packets": struct.pack("!I", flow.packets),
        "octets": struct.pack("!I", flow.octets),
    }
    times = (
        struct.pack("!II", uptime_ms - 1000, uptime_ms) if version == 9 else struct.pack("!QQ", now_ms - 1000, now_ms)
    )
    return b"".join(values[name] for name in layout(exporter)) + times


def _set(set_id: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!HH", set_id, len(body) + 4) + body


OPTIONS_ID = 257
OPTIONS_AFTER = 1
"""Packets between the options template and the sampling interval's own packet."""
V9_SAMPLER = [(34, 4), (35, 1)]
"""SAMPLING_INTERVAL, SAMPLING_ALGORITHM (1: deterministic), scoped to the System (v9 scope type 1)."""
IPFIX_SAMPLER = [(305, 4), (306, 4)]
"""samplingPacketInterval (1 packet taken) and samplingPacketSpace (interval − 1 skipped), scoped to
the observation domain (149)."""


def _options_template(version: int) -> bytes:
    """The sampler's options template: what nfcapd and nfacctd read a sampling interval from."""
    if version == 9:
        fields = [(1, 4), *V9_SAMPLER]
        body = struct.pack("!HHH", OPTIONS_ID, 4, 4 * (len(fields) - 1))
        return _set(1, body + b"".join(struct.pack("!HH", *f) for f in fields))
    fields = [(149, 4), *IPFIX_SAMPLER]
    body = struct.pack("!HHH", OPTIONS_ID, len(fields), 1)
    return _set(3, body + b"".join(struct.pack("!HH", *f) for f in fields))


def _sampler(version: int, interval: int) -> bytes:
    """The options data: one packet in `interval` sampled."""
    if version == 9:
        return _set(OPTIONS_ID, struct.pack("!IIB", SOURCE_ID, interval, 1))
    return _set(OPTIONS_ID, struct.pack("!III", SOURCE_ID, 1, interval - 1))


def packet(
    version: int,
    exporter: int,
    sequence: int,
    flows: list[Flow],
    template: bool,
    boot_ms: int,
    sampling: int = 0,
    options_data_only: bool = False,
) -> bytes:
    """One export packet: the template first when `template` (with the sampler's options template when
    `sampling`), then a data set of `flows`; with `options_data_only`, the sampler's data alone, as
    routers send it in packets of its own."""
    now_ms = int(time.time() * 1000)
    uptime_ms = now_ms - boot_ms
    if options_data_only:
        sets, records = _sampler(version, sampling), 1
    else:
        encoded = b"".join(_record(version, exporter, f, now_ms, uptime_ms) for f in flows)
        data = _set(TEMPLATE_ID, encoded) if flows else b""
        options = _options_template(version) if template and sampling else b""
        sets = (_template(version, exporter) if template else b"") + options + data
        records = len(flows) + (1 if template else 0) + (1 if options else 0)
    if version == 9:
        header = struct.pack("!HHIIII", 9, records, uptime_ms, now_ms // 1000, sequence, SOURCE_ID)
    else:
        header = struct.pack("!HHIII", 10, 16 + len(sets), now_ms // 1000, sequence, SOURCE_ID)
    return header + sets


def main(argv: list[str]) -> None:
    source, destination, version_text, exporter_text, packets_text, every_text, rate_text, *rest = argv
    version, exporter, packets, every = int(version_text), int(exporter_text), int(packets_text), int(every_text)
    sampling = int(rest[0]) if rest else 0
    host, _, port = destination.rpartition(":")
    flows = records(exporter, packets * RECORDS_PER_PACKET)
    boot_ms = int(time.time() * 1000) - 3_600_000
    start = time.monotonic()
    # When packet n goes out (start + n / RATE): what a drill needs to say which records fell in a window.
    print(f"started {time.time():.6f}", flush=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        for n in range(packets):
            batch = flows[n * RECORDS_PER_PACKET : (n + 1) * RECORDS_PER_PACKET]
            # v9 counts export packets; IPFIX counts data records sent before this packet.
            sequence = n if version == 9 else n * RECORDS_PER_PACKET
            target = (host, int(port))
            if sampling and n % every == min(OPTIONS_AFTER, every - 1):
                # The sampling interval in a packet of its own, some packets after its options template:
                # routers send it on a timer of its own, not with the template.
                sock.sendto(packet(version, exporter, sequence, [], False, boot_ms, sampling, True), target)
            sock.sendto(packet(version, exporter, sequence, batch, n % every == 0, boot_ms, sampling), target)
            time.sleep(max(0.0, start + (n + 1) / float(rate_text) - time.monotonic()))


if __name__ == "__main__":
    main(sys.argv[1:])

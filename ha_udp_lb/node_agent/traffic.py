"""What the node carried and what it lost, as Prometheus text: per pool what came in to its VIP and what
went to each collector (the table's named counters, on both planes: core.render_kernel), what nginx's
listening sockets dropped, and the node's own drop counters (the kernel's SNMP tables).

Every counter here is the kernel's, so an agent restart leaves them as they were; a deploy that loads
the table again starts its counters from 0, which `rate()` reads as the reset it is."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from . import netlink

UDP_DROPS = {
    "RcvbufErrors": "udp_receive_buffer",
    "SndbufErrors": "udp_send_buffer",
    "NoPorts": "udp_no_listener",
    "InCsumErrors": "udp_checksum",
}
IP_DROPS = {"ReasmFails": "reassembly_failed", "OutNoRoutes": "no_route"}
NODE_DROPS = {
    **{(section, name): cause for section in ("Udp", "Udp6") for name, cause in UDP_DROPS.items()},
    **{(section, name): cause for section in ("Ip", "Ip6") for name, cause in IP_DROPS.items()},
    ("IpExt", "InNoRoutes"): "no_route",
}
"""The kernel's counters (/proc/net/snmp, snmp6, netstat) → the cause they are reported under, both families
summed. `no_route` counts the node's own datagrams (OutNoRoutes) and those it would forward (InNoRoutes)."""
NEIGHBOUR_TABLES = ("/proc/net/stat/arp_cache", "/proc/net/stat/ndisc_cache")
"""Per CPU, in hex: `unresolved_discards` are datagrams dropped waiting for a neighbour that never answered
ARP or neighbour discovery — a collector host gone, before the agent moves its exporters."""


def carried(table: str, counted: list[dict[str, Any]]) -> str:
    counts = netlink.counters(table)
    lines = [
        "# HELP ha_udp_lb_pool_datagrams_total Datagrams to the pool's VIP and port that the node admitted.",
        "# TYPE ha_udp_lb_pool_datagrams_total counter",
        *(
            f'ha_udp_lb_pool_datagrams_total{{pool="{p["pool"]}"}} {counts.get(p["id"] + "_in", (0, 0))[0]}'
            for p in counted
        ),
        "# HELP ha_udp_lb_pool_bytes_total Bytes of those datagrams (IP headers included).",
        "# TYPE ha_udp_lb_pool_bytes_total counter",
        *(
            f'ha_udp_lb_pool_bytes_total{{pool="{p["pool"]}"}} {counts.get(p["id"] + "_in", (0, 0))[1]}'
            for p in counted
        ),
        "# HELP ha_udp_lb_collector_datagrams_total Datagrams this node sent the collector for the pool.",
        "# TYPE ha_udp_lb_collector_datagrams_total counter",
    ]
    sent = [
        (p["pool"], collector, counts.get(f"{p['id']}_{index}", (0, 0)))
        for p in counted
        for index, collector in enumerate(p["collectors"])
    ]
    lines += [f'ha_udp_lb_collector_datagrams_total{{pool="{p}",collector="{c}"}} {n[0]}' for p, c, n in sent]
    lines += [
        "# HELP ha_udp_lb_collector_bytes_total Bytes of those datagrams (IP headers included).",
        "# TYPE ha_udp_lb_collector_bytes_total counter",
        *(f'ha_udp_lb_collector_bytes_total{{pool="{p}",collector="{c}"}} {n[1]}' for p, c, n in sent),
    ]
    return "\n".join(lines) + "\n"


def socket_losses(sockets: dict[str, str], tables: tuple[str, ...] = ("/proc/net/udp", "/proc/net/udp6")) -> str:
    """nginx pools: what the kernel dropped at the pool's listening sockets (their buffer full: nginx not
    keeping up), and what waits in them now. Summed over the sockets (one per worker with reuseport)."""
    if not sockets:
        return ""
    found: dict[str, list[int]] = {address: [0, 0] for address in sockets.values()}
    for table in tables:
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) >= 13 and fields[1] in found and fields[2].strip("0:") == "":
                found[fields[1]][0] += int(fields[12])
                found[fields[1]][1] += int(fields[4].split(":")[1], 16)
    return (
        "\n".join(
            [
                "# HELP ha_udp_lb_socket_drops_total Datagrams dropped at the pool's nginx sockets (buffer full).",
                "# TYPE ha_udp_lb_socket_drops_total counter",
                *(
                    f'ha_udp_lb_socket_drops_total{{pool="{pool}"}} {found[a][0]}'
                    for pool, a in sorted(sockets.items())
                ),
                "# HELP ha_udp_lb_socket_queued_bytes Bytes waiting in the pool's nginx sockets now.",
                "# TYPE ha_udp_lb_socket_queued_bytes gauge",
                *(
                    f'ha_udp_lb_socket_queued_bytes{{pool="{pool}"}} {found[a][1]}'
                    for pool, a in sorted(sockets.items())
                ),
            ]
        )
        + "\n"
    )


def node_drops(
    tables: tuple[str, ...] = ("/proc/net/snmp", "/proc/net/snmp6", "/proc/net/netstat"),
    neighbours: tuple[str, ...] = NEIGHBOUR_TABLES,
) -> str:
    """The node's (its network namespace's) drops by cause: all of its traffic, not only the pools'."""
    totals = dict.fromkeys(sorted({*NODE_DROPS.values(), "neighbour_unresolved"}), 0)
    totals["neighbour_unresolved"] = sum(map(_unresolved, neighbours))
    for table in tables:
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        for (section, name), value in read_snmp(text).items():
            cause = NODE_DROPS.get((section, name))
            if cause:
                totals[cause] += value
    return (
        "\n".join(
            [
                "# HELP ha_udp_lb_node_drops_total Datagrams the node's kernel dropped, by cause (all its traffic).",
                "# TYPE ha_udp_lb_node_drops_total counter",
                *(f'ha_udp_lb_node_drops_total{{cause="{cause}"}} {n}' for cause, n in totals.items()),
            ]
        )
        + "\n"
    )


def read_snmp(text: str) -> dict[tuple[str, str], int]:
    """/proc/net/snmp (per section a line of names, then one of values) and /proc/net/snmp6 (one
    `Ip6ReasmFails 0` per line) → (section, name) → value."""
    found: dict[tuple[str, str], int] = {}
    rows = [line.split() for line in text.splitlines()]
    for names, values in itertools.pairwise(rows):
        if len(names) > 1 and names[0].endswith(":") and values[:1] == names[:1] and not _number(names[1]):
            found |= {(names[0][:-1], n): int(v) for n, v in zip(names[1:], values[1:], strict=False) if _number(v)}
    for row in rows:
        if len(row) == 2 and _number(row[1]):
            section = next((s for s in ("Ip6", "Udp6") if row[0].startswith(s)), None)
            if section:
                found[(section, row[0][len(section) :])] = int(row[1])
    return found


def _unresolved(table: str) -> int:
    try:
        header, *rows = Path(table).read_text().split("\n")
    except (OSError, ValueError):
        return 0
    column = header.split().index("unresolved_discards") if "unresolved_discards" in header else None
    if column is None:
        return 0
    return sum(int(row.split()[column], 16) for row in rows if len(row.split()) > column)


def _number(text: str) -> bool:
    return text.lstrip("-").isdigit()

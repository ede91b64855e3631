"""What the nodes say they sent each collector, and what each collector received: the two sides of
`ha_udp_lb_collector_datagrams_total`'s check (tests/test_operate.py, bench/counts.py)."""

from __future__ import annotations

from collections import Counter

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.operate.readings import parse

from ..host.control import node_sh, received_others
from ..host.state import LabState


def counted_by_nodes(state: LabState) -> Counter[str]:
    """Collector (`address:port`) → datagrams the nodes' agents report sending it, summed over the nodes."""
    counted: Counter[str] = Counter()
    for node in state.nodes:
        readings = parse(node_sh(node, f"cat {PATHS.metrics}", timeout=10).stdout)
        for sample in readings.get("ha_udp_lb_collector_datagrams_total", []):
            counted[sample.labels["collector"]] += int(sample.value)
    return counted


def received_by_collectors(state: LabState) -> Counter[str]:
    """Collector → the non-empty datagrams its sink recorded (the agents' probes are empty)."""
    return Counter(endpoint(d) for backend in state.backends for d in received_others(backend))


def endpoint(datagram: dict[str, object]) -> str:
    """The collector (`address:port`) a sink's record says received the datagram."""
    return f"{datagram['backend']}:{datagram['port']}"

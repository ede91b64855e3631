"""What a node lets through, on the real kernel with the dev stack on each data plane: a pool admits its
`allowedSources` only and each exporter up to its `rateLimit`, every refusal counted by cause; and the
node forwards nothing but the kernel plane's rewritten datagrams (issue 29). Each test fails with its
protection switched off: the refused exporters' datagrams, the flood, the forwarded probes arrive."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.render_kernel import FORWARD_REFUSED, kernel_id
from ha_udp_lb.lab.agents.datagrams import payload
from ha_udp_lb.lab.agents.flood import SIZE
from ha_udp_lb.lab.host.control import received_others
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import ExporterState, LabState, Overrides
from tests.node_readings import master, pool, table_counter
from tests.node_readings import metric as node_metric

pytestmark = pytest.mark.lab

GUARDS: Overrides = {"allowedSources": ["198.18.0.200/30"], "rateLimit": {"perSecond": 200, "burst": 40}}
"""The lab's exporters take .201 and up: the first three are admitted, the other five are not."""
PLANES: dict[str, Overrides] = {
    "kernel": {"dataPlane": "kernel", **GUARDS},
    "nginx-transparent": {"dataPlane": "nginx", "source": "transparent", **GUARDS},
}
ADMITTED = 3
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    print("connected")
except TimeoutError:
    print("timeout")
except OSError as error:
    print(error.strerror)
"""
"""A TCP connection's fate: `timeout` when its SYN is dropped on the way; `Connection refused` when the
collector's host answers (nothing listens on a sink's port for TCP)."""
EXPORTERS = 8
POOL = "syslog"


@pytest.fixture(scope="module", params=sorted(PLANES))
def lab(request: pytest.FixtureRequest) -> Iterator[tuple[str, LabState]]:
    down()
    state = up("dev", exporters=EXPORTERS, overrides=PLANES[request.param])
    try:
        yield request.param, state
    finally:
        down()


def test_only_admitted_exporters_reach_a_collector_and_the_rest_are_counted(lab: tuple[str, LabState]) -> None:
    plane, state = lab
    target, sent = _target(state), 20
    before = table_counter(state, f"{kernel_id(POOL)}_refused")
    seeds = {e.address: 300 + e.index for e in state.exporters}
    _wait([_send(e, target, seeds[e.address], sent, 1.0) for e in state.exporters])
    time.sleep(1)
    arrived = _arrived(state)
    for exporter in state.exporters:
        got = sum(_digest(seeds[exporter.address], i) in arrived for i in range(sent))
        assert got == (sent if exporter.index <= ADMITTED else 0), f"{plane}: {exporter.address} delivered {got}"
    refused = sent * (EXPORTERS - ADMITTED)
    assert table_counter(state, f"{kernel_id(POOL)}_refused") - before == refused, plane
    metric = f'ha_udp_lb_refused_datagrams_total{{pool="{POOL}",cause="source"}}'
    reported = node_metric(master(state, POOL), metric, until=refused)
    assert reported == refused, f"{plane}: the agent reports {metric} {reported}"


def test_an_exporter_flooding_at_fifty_times_its_limit_costs_the_others_nothing(lab: tuple[str, LabState]) -> None:
    plane, state = lab
    target, flood, steady = _target(state), 10_000, 100
    wild, calm = state.exporters[0], state.exporters[1:ADMITTED]
    before = table_counter(state, f"{kernel_id(POOL)}_limited")
    senders = [_send(wild, target, 900, flood, 1.0)] + [_send(e, target, 900 + e.index, steady, 1.0) for e in calm]
    _wait(senders)
    time.sleep(1)
    arrived = _arrived(state)
    for exporter in calm:
        got = sum(_digest(900 + exporter.index, i) in arrived for i in range(steady))
        assert got == steady, (
            f"{plane}: {exporter.address}, sending within its limit beside the flood, lost {steady - got}"
        )
    through = sum(_digest(900, i) in arrived for i in range(flood))
    limited = table_counter(state, f"{kernel_id(POOL)}_limited") - before
    print(f"{plane}: flood of {flood} in 1 s at 200/s + 40: {through} through, {limited} limited")
    assert through <= 200 * 2 + 40, f"{plane}: {through} of the flood's datagrams went through a 200/s limit"
    assert through + limited == flood, f"{plane}: {flood - through - limited} of the flood neither arrived nor counted"


def test_a_node_forwards_nothing_but_its_pools_datagrams(lab: tuple[str, LabState]) -> None:
    """An exporter's host makes the master its next hop to a collector: UDP to the collector's own port,
    a TCP connection and pings routed through the node reach nothing."""
    plane, state = lab
    holder = master(state, POOL)
    exporter, collector = state.exporters[0], state.backends[0]
    before = table_counter(state, FORWARD_REFUSED)
    route = f"ip route add {collector.address}/32 via {holder.address.split('/')[0]}"
    _in_netns(exporter, route)
    try:
        port = collector.ports[0]
        _wait([_send(exporter, f"{collector.address}:{port}", 700, 20, 0.5)])
        answered = _python_in(exporter, "-m", "ha_udp_lb.lab.agents.pinger", collector.address, "3")
        connected = _python_in(exporter, "-c", CONNECT, collector.address, str(port))
    finally:
        _in_netns(exporter, route.replace(" add ", " del ", 1), check=False)
    time.sleep(0.5)
    arrived = _arrived(state)
    assert not any(_digest(700, i) in arrived for i in range(20)), f"{plane}: UDP routed through the node arrived"
    assert answered == "0", f"{plane}: the collector answered {answered} of 3 pings routed through the node"
    assert connected == "timeout", f"{plane}: TCP through the node: {connected}"
    if plane == "kernel":  # forwarding is on for the kernel plane only: there the table is what stops them
        assert table_counter(state, FORWARD_REFUSED) - before >= 20 + 3 + 1, plane


def _target(state: LabState) -> str:
    return f"{pool(state, POOL).vip}:{pool(state, POOL).port}"


def _send(exporter: ExporterState, target: str, seed: int, count: int, seconds: float) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "ha_udp_lb.lab.agents.flood", exporter.address, target, str(seed)]
    return subprocess.Popen(["ip", "netns", "exec", exporter.netns, *argv, str(count), str(seconds)])


def _wait(senders: list[subprocess.Popen[bytes]]) -> None:
    for sender in senders:
        assert sender.wait(timeout=60) == 0


def _in_netns(exporter: ExporterState, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = ["ip", "netns", "exec", exporter.netns, "sh", "-c", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=check)


def _python_in(exporter: ExporterState, *argv: str) -> str:
    """What a Python program run in the exporter's namespace printed."""
    command = ["ip", "netns", "exec", exporter.netns, sys.executable, *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout.strip()


def _digest(seed: int, index: int) -> str:
    return hashlib.sha256(payload(seed, index, SIZE)).hexdigest()


def _arrived(state: LabState) -> set[str]:
    return {str(r["sha256"]) for backend in state.backends for r in received_others(backend)}

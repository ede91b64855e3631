"""Real senders to real collectors through the dev stack, across a failover: `logger` to rsyslog,
`snmptrap` to snmptrapd, NetFlow v9 to pmacct's nfacctd. Everything sent outside the failover's
window arrives, each exporter at one collector, attributed to itself; and none of the collectors
complains about the health agent's probes (an empty datagram to each every 0.2 s)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.lab.agents.flow_exporter import RECORDS_PER_PACKET, records
from ha_udp_lb.lab.host.collectors import complaints, received_lines
from ha_udp_lb.lab.host.control import set_link
from ha_udp_lb.lab.host.site import down, up, wait_settled
from ha_udp_lb.lab.host.state import LabState, Overrides

pytestmark = pytest.mark.lab

COLLECTORS = {"syslog": "rsyslog", "snmp-traps": "snmptrapd", "netflow": "nfacctd"}
PLANES: dict[str, Overrides] = {"kernel": {}, "nginx": {"dataPlane": "nginx"}}
"""The defaults: every pool on the kernel plane, or on nginx (transparent)."""
MESSAGES, RATE = 150, 50.0
"""Per exporter and protocol: 3 s of messages; the master's cable is pulled 1 s in."""
FLOW_PACKETS = 150
CUT_AFTER_S = 1.0
WINDOW_S = (-0.1, 1.0)
"""Around the cut: what is sent in it may be lost (the failover, p95 ~110 ms); nothing else may."""


@pytest.fixture(scope="module", params=sorted(PLANES))
def lab(request: pytest.FixtureRequest) -> Iterator[LabState]:
    down()
    # Every pool on the first VIP, so that one node's cable takes them all through the failover.
    overrides: Overrides = {**PLANES[request.param], "vip": "198.18.0.100"}
    state = up("dev", exporters=4, collectors=COLLECTORS, overrides=overrides)
    try:
        yield state
    finally:
        down()


def _senders(state: LabState, work: Path) -> list[subprocess.Popen[bytes]]:
    """Each exporter (one per namespace, so the tools' own sockets carry its address) runs every sender."""
    vip = state.vips[0].address
    gap = 1 / RATE
    processes = []
    for e in state.exporters:
        # Its own: snmptrap rewrites snmpapp.conf on every run, and senders sharing one read each
        # other's half-written files (a trap then goes unsent and looks lost in the balancer).
        persistent = work / f"snmp-{e.index}"
        persistent.mkdir()
        env = f"SNMP_PERSISTENT_DIR={persistent}"
        mark = f"e={e.index} seq=$i t=$(date +%s.%N)"
        logger = f'logger -n {vip} -P 514 -d --rfc5424 -t lab "{mark}"'
        trap = (
            f"env {env} snmptrap -m '' -v 2c -c public {vip}:162 '' 1.3.6.1.6.3.1.1.5.1 1.3.6.1.2.1.1.5.0 s \"{mark}\""
        )
        for command in (logger, trap):
            # A sender that fails to send fails the test as itself, not as a loss in the balancer.
            loop = f"for i in $(seq 1 {MESSAGES}); do {command} || exit 1; sleep {gap:.3f}; done"
            processes.append(subprocess.Popen(["ip", "netns", "exec", e.netns, "sh", "-c", loop]))
        flows = [
            "ha_udp_lb.lab.agents.flow_exporter",
            e.address,
            f"{vip}:2055",
            "9",
            str(e.index),
            str(FLOW_PACKETS),
            "50",
        ]
        processes.append(subprocess.Popen(["ip", "netns", "exec", e.netns, sys.executable, "-m", *flows, str(RATE)]))
    return processes


def _marks(line: str) -> tuple[int, int, float]:
    found = re.search(r"e=(\d+) seq=(\d+) t=([\d.]+)", line)
    assert found, line
    return int(found[1]), int(found[2]), float(found[3])


def test_real_clients_reach_one_collector_each_as_themselves_through_a_failover(lab: LabState, tmp_path: Path) -> None:
    master = next(n for n in lab.nodes if n.name == lab.vips[0].preferred)
    started = time.time()
    senders = _senders(lab, tmp_path)
    time.sleep(CUT_AFTER_S)
    cut = time.time()
    set_link(master, up=False)
    try:
        for sender in senders:
            assert sender.wait(timeout=60) == 0
        time.sleep(2.5)  # nfacctd writes every second
    finally:
        set_link(master, up=True)
    by_address = {e.address: e.index for e in lab.exporters}
    window = (cut + WINDOW_S[0], cut + WINDOW_S[1])
    for pool in ("syslog", "snmp-traps"):
        _check_messages(lab, pool, by_address, window)
    _check_flows(lab, by_address, started, cut)
    for pool, kind in COLLECTORS.items():
        for address, port in next(p for p in lab.pools if p.name == pool).backends:
            said = complaints(kind, lab.backend(address), port)
            assert not said, f"{kind} on {address}:{port} complained: {said[:3]}"
    wait_settled(lab)


def _check_messages(lab: LabState, pool_name: str, by_address: dict[str, int], window: tuple[float, float]) -> None:
    pool = next(p for p in lab.pools if p.name == pool_name)
    kind = COLLECTORS[pool_name]
    seen: dict[int, set[str]] = {}
    arrived: dict[int, set[int]] = {}
    sent_at: dict[tuple[int, int], float] = {}
    for address, port in pool.backends:
        for line in received_lines(kind, lab.backend(address), port):
            sender = re.search(r"\[?(\d+\.\d+\.\d+\.\d+)\]?", line)
            assert sender, line
            exporter, seq, at = _marks(line)
            assert by_address.get(sender[1]) == exporter, f"{kind}: {line!r} attributed to {sender[1]}"
            seen.setdefault(exporter, set()).add(address)
            arrived.setdefault(exporter, set()).add(seq)
            sent_at[exporter, seq] = at
    for exporter in by_address.values():
        assert len(seen.get(exporter, set())) == 1, f"{kind}: exporter {exporter} reached {seen.get(exporter)}"
        missing = set(range(1, MESSAGES + 1)) - arrived[exporter]
        # A missing message was sent between its neighbours that arrived: it must lie in the window.
        for seq in missing:
            before = max((sent_at[exporter, s] for s in arrived[exporter] if s < seq), default=window[0])
            after = min((sent_at[exporter, s] for s in arrived[exporter] if s > seq), default=window[1])
            assert before >= window[0] - 1 / RATE and after <= window[1] + 1 / RATE, (
                f"{kind}: exporter {exporter}'s message {seq} was lost outside the failover"
            )


def _check_flows(lab: LabState, by_address: dict[str, int], started: float, cut: float) -> None:
    pool = next(p for p in lab.pools if p.name == "netflow")
    sent = {index: set(records(index, FLOW_PACKETS * RECORDS_PER_PACKET)) for index in by_address.values()}
    got: dict[int, set[object]] = {}
    for address, port in pool.backends:
        for row in received_lines("nfacctd", lab.backend(address), port):
            peer, src, dst, sport, dport, _proto, packets, octets = row.split(",")
            exporter = by_address[peer]
            flow = (src, dst, int(sport), int(dport), 17, int(packets), int(octets))
            assert flow in sent[exporter], f"nfacctd decoded {row!r}: not what exporter {exporter} sent"
            got.setdefault(exporter, set()).add(flow)
    for exporter, flows in sent.items():
        lost_packets = (len(flows) - len(got.get(exporter, set()))) / RECORDS_PER_PACKET
        # Packets go out at RATE from the sender's start (up to ~0.3 s after `started`).
        assert lost_packets <= (WINDOW_S[1] - WINDOW_S[0] + 0.3) * RATE, (
            f"nfacctd: exporter {exporter} lost {lost_packets:.0f} packets; a failover loses at most "
            f"{(WINDOW_S[1] - WINDOW_S[0]) * RATE:.0f}"
        )
    assert cut > started

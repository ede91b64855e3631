"""Real NetFlow v9 through the dev stack's netflow VIP: nfreplay (nfdump) sends flow records from the
exporters' own namespaces, nfcapd collectors receive them, nfdump decodes and counts them — by the
exporter nfcapd saw, which is what collectors key templates and statistics on."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.lab.drill.netflow import collected, count_flows, make_flow_file, replay, sequence_failures
from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.scenarios import SCENARIOS
from ha_udp_lb.lab.drill.trial import Settings
from ha_udp_lb.lab.host.site import down, up
from ha_udp_lb.lab.host.state import LabState, PoolState
from tests.base_config import NGINX_SOURCE_NONE

pytestmark = pytest.mark.lab

FLOWS = 12_000
PER_EXPORTER = 2_000


def lab_with(overrides: dict[str, str | bool], exporters: int) -> Iterator[LabState]:
    down()
    state = up("dev", exporters=exporters, collectors={"netflow": "nfcapd"}, overrides=overrides)
    try:
        yield state
    finally:
        down()


@pytest.fixture
def lab() -> Iterator[LabState]:
    yield from lab_with(NGINX_SOURCE_NONE, exporters=2)


@pytest.fixture
def kernel_lab() -> Iterator[LabState]:
    yield from lab_with({"dataPlane": "kernel"}, exporters=4)


@pytest.fixture
def four_exporter_lab() -> Iterator[LabState]:
    yield from lab_with(NGINX_SOURCE_NONE, exporters=4)


def netflow(state: LabState) -> PoolState:
    return next(p for p in state.pools if p.name == "netflow")


def total(counts: dict[str, Counter[str]]) -> Counter[str]:
    return sum(counts.values(), Counter())


def replay_all(state: LabState, tmp_path: Path) -> None:
    """Every exporter (each in its own namespace, with its own address) replays its own flows."""
    senders = []
    for exporter in state.exporters:
        flow_file = make_flow_file(PER_EXPORTER, exporter.address, tmp_path / str(exporter.index))
        senders.append(replay(exporter, flow_file, netflow(state), delay_us=2000))
    for sender in senders:
        output, _ = sender.communicate(timeout=120)
        assert sender.returncode == 0, output
    time.sleep(0.5)


def test_every_flow_replayed_through_the_vip_is_decoded_at_the_exporters_one_collector(
    lab: LabState, tmp_path: Path
) -> None:
    flow_file = make_flow_file(FLOWS, lab.exporters[0].address, tmp_path)
    assert count_flows(flow_file) == FLOWS
    sender = replay(lab.exporters[0], flow_file, netflow(lab), delay_us=2000)
    output, _ = sender.communicate(timeout=120)
    assert sender.returncode == 0, output
    time.sleep(0.5)
    counts = {collector: sum(c.values()) for collector, c in collected(lab, netflow(lab)).items()}
    assert sum(counts.values()) == FLOWS, counts
    assert sorted(counts.values())[:-1] == [0] * (len(counts) - 1), f"one exporter, one collector: {counts}"


def test_the_kernel_plane_keeps_every_exporters_identity_at_the_collector(kernel_lab: LabState, tmp_path: Path) -> None:
    replay_all(kernel_lab, tmp_path)
    seen = collected(kernel_lab, netflow(kernel_lab))
    assert total(seen) == {e.address: PER_EXPORTER for e in kernel_lab.exporters}, seen
    for collector, exporters in seen.items():
        assert set(exporters) <= {e.address for e in kernel_lab.exporters}, collector
    # Each exporter's packet sequence reaches nfcapd as its own: no gap it would count as loss.
    assert sequence_failures(kernel_lab, netflow(kernel_lab)) == 0


def test_nginx_with_source_none_shows_collectors_the_node_instead(four_exporter_lab: LabState, tmp_path: Path) -> None:
    """What users lose on the nginx plane without `source: transparent`: every exporter looks like the node."""
    replay_all(four_exporter_lab, tmp_path)
    seen = total(collected(four_exporter_lab, netflow(four_exporter_lab)))
    assert sum(seen.values()) == PER_EXPORTER * len(four_exporter_lab.exporters), seen
    assert set(seen) <= {n.address for n in four_exporter_lab.nodes}, seen
    # Four exporters' sequences interleaved as one: nfcapd counts the jumps as loss that never happened.
    failures = sequence_failures(four_exporter_lab, netflow(four_exporter_lab))
    print(f"nfcapd sequence failures with source none, 4 exporters, 0 lost: {failures}")
    assert failures > 0


def test_a_failover_mid_replay_loses_only_the_flows_sent_inside_the_measured_blackout(
    lab: LabState, tmp_path: Path
) -> None:
    flow_file = make_flow_file(FLOWS, lab.exporters[0].address, tmp_path)
    started = time.monotonic_ns()
    sender = replay(lab.exporters[0], flow_file, netflow(lab), delay_us=10_000)
    # The drill probes the other pools of the same VIP while nginx dies on its master.
    report = run(lab, SCENARIOS["nginx-kill"], trials=1, settings=Settings(duration_s=3.0), out=tmp_path / "drill")
    output, _ = sender.communicate(timeout=120)
    finished = time.monotonic_ns()
    assert sender.returncode == 0, output
    trial = report.trials[0]
    assert trial.holders_after[netflow(lab).vip] != [lab.vips[0].preferred], "the VIP must have moved"
    counts = {collector: sum(c.values()) for collector, c in collected(lab, netflow(lab)).items()}
    missing = FLOWS - sum(counts.values())
    flows_per_ms = FLOWS / ((finished - started) / 1e6)
    # Inside the blackout, plus one replay packet (10 ms) on either side of it.
    allowed = flows_per_ms * (trial.blackout_ms + 20)
    print(f"blackout {trial.blackout_ms} ms; {missing} of {FLOWS} flows missing (allowed {allowed:.0f}): {counts}")
    assert 0 <= missing <= allowed, f"{missing} flows missing, more than the {allowed:.0f} sent inside the blackout"
    assert sorted(counts.values())[:-1] == [0] * (len(counts) - 1), f"the exporter kept its collector: {counts}"

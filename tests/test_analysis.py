"""The drill's verdict on one trial, from records made up to the datagram."""

from __future__ import annotations

from ha_udp_lb.lab.agents.wire import Probe, Received, Sent, decode_probe, encode_probe
from ha_udp_lb.lab.drill.analysis import Delivery, analyse, lost_since, lost_whole, per_bucket

RATE = 100.0  # one probe per 10 ms
POOLS = ["netflow", "syslog"]


def sent(exporter: int, flow: int, count: int) -> list[tuple[int, Sent]]:
    return [(exporter, Sent(flow, seq, seq * 10_000_000)) for seq in range(count)]


def got(collector: str, exporter: int, flow: int, seqs: range | list[int]) -> list[Delivery]:
    return [Delivery(collector, Received(seq * 10_000_000 + 500_000, 2055, exporter, flow, 1, seq)) for seq in seqs]


def test_blackout_is_the_longest_run_of_lost_probes_in_any_flow() -> None:
    probes = sent(1, 0, 100) + sent(2, 0, 100)
    delivered = got("a", 1, 0, [s for s in range(100) if not 20 <= s < 25]) + got(
        "b", 2, 0, [s for s in range(100) if s != 50]
    )
    traffic = analyse(probes, delivered, POOLS, RATE)
    assert traffic.lost == 6
    assert traffic.sent == 200
    assert traffic.blackout_ms == 50.0  # five probes, 10 ms apart
    assert traffic.blackout_flow == "exporter 1 → netflow"
    assert traffic.blackout_window_ns == (200_000_000, 240_000_000)


def test_no_loss_means_no_blackout() -> None:
    traffic = analyse(sent(1, 1, 10), got("a", 1, 1, range(10)), POOLS, RATE)
    assert (traffic.lost, traffic.blackout_ms, traffic.blackout_flow) == (0, 0.0, None)


def test_a_flow_seen_at_two_collectors_has_moved_in_order() -> None:
    delivered = got("b", 1, 0, range(0, 5)) + got("a", 1, 0, range(5, 10)) + got("a", 2, 1, range(10))
    traffic = analyse(sent(1, 0, 10) + sent(2, 1, 10), delivered, POOLS, RATE)
    assert traffic.moved == ["exporter 1 → netflow: b → a"]
    assert traffic.flows_kept_collector == 1
    assert traffic.kept_collector_fraction == 0.5


def test_a_flow_of_which_nothing_arrived_is_named_as_lost_whole() -> None:
    # Exporter 2 lost nearly everything, exporter 3 all of it: only 3 is the silent failure.
    delivered = got("a", 1, 0, range(10)) + got("a", 2, 0, [9])
    traffic = analyse(sent(1, 0, 10) + sent(2, 0, 10) + sent(3, 1, 10), delivered, POOLS, RATE)
    assert lost_whole(traffic.flows) == ["exporter 3 → syslog"]
    assert lost_whole(analyse(sent(1, 0, 10), got("a", 1, 0, range(10)), POOLS, RATE).flows) == []


def test_duplicates_are_counted_not_hidden() -> None:
    traffic = analyse(sent(1, 0, 3), got("a", 1, 0, [0, 1, 1, 2]), POOLS, RATE)
    assert traffic.duplicates == 1
    assert traffic.lost == 0


def test_timeline_buckets_count_per_collector() -> None:
    buckets = per_bucket(got("a", 1, 0, range(3)) + got("b", 2, 0, range(1)), origin_ns=0, bucket_ms=10)
    assert buckets == {"a": {0: 1, 1: 1, 2: 1}, "b": {0: 1}}


def test_probes_survive_the_wire_and_strangers_are_ignored() -> None:
    probe = Probe(exporter=3, flow=2, trial=7, seq=123456, sent_ns=987654321)
    assert decode_probe(encode_probe(probe)) == probe
    assert decode_probe(b"\x00\x09" + b"\x00" * 60) is None  # a NetFlow v9 header is not a probe


def test_lost_since_counts_only_what_was_sent_from_that_moment_on() -> None:
    probes = sent(1, 0, 100)
    delivered = got("a", 1, 0, [s for s in range(100) if not 10 <= s < 15 and s != 70])
    assert lost_since(probes, delivered, since_ns=0) == 6
    assert lost_since(probes, delivered, since_ns=15 * 10_000_000) == 1  # only seq 70
    assert lost_since(probes, delivered, since_ns=71 * 10_000_000) == 0

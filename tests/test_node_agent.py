"""The collector-health agent's pure parts: verdicts from evidence, pool files marked, ICMP understood."""

from __future__ import annotations

import struct

import pytest

from ha_udp_lb.node_agent.judge import CheckSettings, HostEvidence, Verdict, all_silent, judge, usable
from ha_udp_lb.node_agent.kernel import KernelPool
from ha_udp_lb.node_agent.pools import mark_down, marked_down
from ha_udp_lb.node_agent.probes import ECHO_ID, EchoReply, PortUnreachable, checksum, echo_request, parse
from ha_udp_lb.node_agent.settings import tally
from ha_udp_lb.node_agent.steps import keep_turning

CHECK = CheckSettings(interval=0.2, timeout=0.05, fall=2, rise=2, hold_down=5.0, probe="udp")
S = 1_000_000_000
UP = Verdict(True, 0, "start")


def test_one_missed_echo_moves_nothing_fall_misses_in_a_row_do() -> None:
    assert judge(UP, 2055, HostEvidence(misses=1, last_miss_ns=S), CHECK, 2 * S) is UP
    down = judge(UP, 2055, HostEvidence(misses=2, last_miss_ns=S), CHECK, 2 * S)
    assert not down.up and "2 echo requests unanswered" in down.reason and down.since_ns == 2 * S


def test_a_port_unreachable_after_the_verdict_closes_only_that_port() -> None:
    evidence = HostEvidence(replies=5, refused_ns={2055: 3 * S})
    assert not judge(UP, 2055, evidence, CHECK, 3 * S).up
    assert judge(UP, 6343, evidence, CHECK, 3 * S) is UP
    # A refusal older than the verdict (it came back since) is not news.
    assert judge(Verdict(True, 4 * S, "back"), 2055, evidence, CHECK, 5 * S).up


def test_icmp_probe_ignores_port_unreachables() -> None:
    icmp = CheckSettings(**{**CHECK.__dict__, "probe": "icmp"})
    assert judge(UP, 2055, HostEvidence(replies=5, refused_ns={2055: S}), icmp, 2 * S) is UP


def test_a_returning_collector_waits_out_the_hold_down_from_the_last_evidence_against_it() -> None:
    down = Verdict(False, 10 * S, "port closed")
    evidence = HostEvidence(replies=10, refused_ns={2055: 12 * S, 6343: 13 * S})
    assert not judge(down, 2055, evidence, CHECK, 17 * S).up  # 4 s after the host's last refusal
    back = judge(down, 2055, evidence, CHECK, 18 * S)
    assert back.up and back.since_ns == 18 * S


def test_a_host_needs_rise_replies_before_it_counts_as_back() -> None:
    down = Verdict(False, 0, "host silent")
    assert not judge(down, 2055, HostEvidence(replies=1), CHECK, 60 * S).up
    assert judge(down, 2055, HostEvidence(replies=2), CHECK, 60 * S).up


def test_tcp_check_failures_count_like_misses() -> None:
    tcp = CheckSettings(**{**CHECK.__dict__, "probe": "tcp", "port": 8080})
    evidence = HostEvidence(replies=3, check_failures={8080: 1})
    assert judge(UP, 2055, evidence, tcp, S) is UP
    evidence.check_failures[8080] = 2
    assert "tcp check on port 8080" in judge(UP, 2055, evidence, tcp, S).reason


def test_one_refused_connect_closes_the_port_a_timeout_needs_fall_in_a_row() -> None:
    """A reset is the host saying nothing listens (as a port unreachable is): the collector process is
    gone, and waiting for `fall` of them would cost an interval each. A timeout proves nothing alone."""
    tcp = CheckSettings(**{**CHECK.__dict__, "probe": "tcp", "port": 8080, "fall": 3, "echo": False})
    evidence = HostEvidence()
    tally(evidence, 8080, "failed", S)
    assert judge(UP, 2055, evidence, tcp, S) is UP
    tally(evidence, 8080, "refused", 2 * S)
    down = judge(UP, 2055, evidence, tcp, 2 * S)
    assert not down.up and "refused" in down.reason
    # Back only after the hold-down counted from that refusal.
    for at in (3, 4):
        tally(evidence, 8080, "passed", at * S)
    assert not judge(down, 2055, evidence, tcp, 6 * S).up
    assert judge(down, 2055, evidence, tcp, 7 * S).up


def test_a_pool_never_marks_every_collector_down() -> None:
    views = {"a:1": Verdict(False, 0, "x"), "b:1": Verdict(False, 0, "x")}
    assert usable(views).backends == {"a:1", "b:1"}
    assert usable({**views, "c:1": UP}).backends == {"c:1"}


POOL = """upstream pool_netflow {
    hash $remote_addr consistent;
    server 198.18.0.21:2055 weight=1 max_fails=1 fail_timeout=10s;
    server 198.18.0.22:2055 weight=2 max_fails=1 fail_timeout=10s;
}
"""


def test_marking_down_touches_exactly_the_named_servers_and_round_trips() -> None:
    marked = mark_down(POOL, {"198.18.0.22:2055"})
    assert "server 198.18.0.22:2055 weight=2 max_fails=1 fail_timeout=10s down;" in marked
    assert "server 198.18.0.21:2055 weight=1 max_fails=1 fail_timeout=10s;" in marked
    assert marked_down(marked) == {"198.18.0.22:2055"}
    assert mark_down(marked, set()) == POOL
    assert mark_down(marked, {"198.18.0.22:2055"}) == marked


def test_echo_request_checksum_verifies_and_replies_with_our_id_are_recognised() -> None:
    request = echo_request(4, 7)
    assert checksum(request) == 0
    reply = bytes([0x45]) + bytes(19) + struct.pack("!BBHHH", 0, 0, 0, ECHO_ID, 7)
    assert parse(4, reply, "198.18.0.21") == EchoReply("198.18.0.21", 7)
    other = bytes([0x45]) + bytes(19) + struct.pack("!BBHHH", 0, 0, 0, (ECHO_ID + 1) & 0xFFFF, 7)
    assert parse(4, other, "198.18.0.21") is None


def test_a_port_unreachable_names_the_collector_port_it_quotes() -> None:
    quoted_ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]) + bytes([198, 18, 0, 11]) + bytes([198, 18, 0, 21])
    quoted_udp = struct.pack("!HHHH", 40000, 2055, 8, 0)
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted_ip + quoted_udp
    packet = bytes([0x45]) + bytes(19) + icmp
    assert parse(4, packet, "198.18.0.21") == PortUnreachable("198.18.0.21", 2055)
    host_unreachable = bytes([0x45]) + bytes(19) + struct.pack("!BBHI", 3, 1, 0, 0) + quoted_ip + quoted_udp
    assert parse(4, host_unreachable, "198.18.0.21") is None


UP, DOWN = Verdict(True, 0, "healthy"), Verdict(False, 0, "silent")


def test_below_the_panic_threshold_a_pool_sends_to_every_collector() -> None:
    assert usable({"a": UP, "b": DOWN, "c": DOWN}, panic_below=0.5) == ({"a", "b", "c"}, True)
    assert usable({"a": UP, "b": UP, "c": DOWN}, panic_below=0.5) == ({"a", "b"}, False)
    assert usable({"a": UP, "b": DOWN, "c": DOWN}, panic_below=0.0).backends == {"a"}
    assert usable({"a": DOWN, "b": DOWN}, panic_below=0.0).backends == {"a", "b"}  # none healthy: never drop all


def test_a_panicking_pool_waits_for_a_returning_collector_but_a_healthy_one_is_never_rushed() -> None:
    returning = Verdict(False, 0, "silent", returning=True)
    views = {"a": UP, "b": UP, "c": returning}
    assert usable(views, panic_below=0.5, panicking=True) == ({"a", "b", "c"}, True)
    assert usable(views, panic_below=0.5, panicking=False) == ({"a", "b"}, False)  # its hold-down holds
    assert usable({"a": UP, "b": UP, "c": DOWN}, panic_below=0.5, panicking=True) == ({"a", "b"}, False)


def test_a_pool_that_saw_none_healthy_waits_for_every_returning_collector_even_without_a_threshold() -> None:
    # A node cut off from every collector sends to all; back, they pass their hold-downs one by one.
    returning = Verdict(False, 0, "silent", returning=True)
    first_back = {"a": UP, "b": returning, "c": returning}
    assert usable({"a": DOWN, "b": DOWN, "c": DOWN}, panic_below=0.0) == ({"a", "b", "c"}, True)
    assert usable(first_back, panic_below=0.0, panicking=True) == ({"a", "b", "c"}, True)
    assert usable({"a": UP, "b": UP, "c": UP}, panic_below=0.0, panicking=True) == ({"a", "b", "c"}, False)
    assert usable(first_back, panic_below=0.0, panicking=False).backends == {"a"}  # never saw none healthy


def _return_one_by_one(panic_below: float) -> tuple[float, int]:
    """A pool of three on the kernel plane, all dead, its collectors back one at a time: the largest
    share of the slots any live collector takes (1.0 = its own third) and the most times a slot's
    traffic moves from one live collector to another."""
    names = [f"198.18.0.{21 + i}:2055" for i in range(3)]
    pool = KernelPool("ha_udp_lb", "p_netflow", "/etc/ha-udp-lb/kernel.nft", [(n, "", 0) for n in names], [1] * 3, 8191)
    largest = 0.0
    receivers: list[list[str]] = [[] for _ in range(pool.size)]
    for back in range(1, 4):
        views = {n: UP if i < back else DOWN for i, n in enumerate(names)}
        table = pool.table_for(usable(views, panic_below).backends)
        for slot, owner in enumerate(table):
            live = names[owner] if views[names[owner]].up else None
            if live and (not receivers[slot] or receivers[slot][-1] != live):
                receivers[slot].append(live)
        largest = max(largest, *(table.count(i) / (pool.size / 3) for i in range(back)))
    return largest, max(len(r) - 1 for r in receivers)


def test_a_whole_pool_returning_gives_no_collector_over_one_and_a_half_shares() -> None:
    largest, moves = _return_one_by_one(0.5)
    assert largest == pytest.approx(1.5, abs=0.02) and moves == 1
    largest, _ = _return_one_by_one(0.0)
    assert largest == pytest.approx(3.0)  # without the threshold, the first back takes every exporter


def test_a_failing_turn_is_logged_and_the_next_one_runs(capsys: pytest.CaptureFixture[str]) -> None:
    turns: list[int] = []
    failures: list[int] = []

    def turn() -> None:
        turns.append(len(turns))
        if len(turns) <= 2:
            raise FileNotFoundError("/etc/nginx/ha-udp-lb/pools/netflow.conf")
        raise SystemExit(0)  # what SIGTERM raises: the agent stops

    with pytest.raises(SystemExit):
        keep_turning(turn, lambda: failures.append(1), pause_s=0)
    assert len(turns) == 3 and len(failures) == 2
    assert capsys.readouterr().err.count("a turn failed, going on: Traceback") == 2


def test_without_echo_the_check_alone_judges_the_host() -> None:
    """`healthCheck.echo: false`, where echo is filtered: silence says nothing, the check says it all."""
    http = CheckSettings(**{**CHECK.__dict__, "probe": "http", "port": 8080, "echo": False})
    assert judge(UP, 2055, HostEvidence(misses=9, last_miss_ns=S), http, 2 * S) is UP
    down = judge(UP, 2055, HostEvidence(check_failures={8080: 2}, last_check_failure_ns={8080: S}), http, S)
    assert not down.up and "http check on port 8080 failed" in down.reason
    assert judge(down, 2055, HostEvidence(check_successes={8080: 2}), http, 60 * S).up, "no echo reply is needed"


def test_a_pool_whose_every_collector_went_silent_to_echo_at_once_is_told_apart() -> None:
    """The network's signature (echo filtered, a link cut), reported apart from collectors failing."""
    silent = judge(UP, 2055, HostEvidence(misses=2, last_miss_ns=S), CHECK, 2 * S)
    closed = judge(UP, 2055, HostEvidence(replies=5, refused_ns={2055: 3 * S}), CHECK, 3 * S)
    assert all_silent({"a:1": silent, "b:1": silent})
    assert not all_silent({"a:1": silent, "b:1": closed}) and not all_silent({"a:1": silent, "b:1": UP})

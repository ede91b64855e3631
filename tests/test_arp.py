"""The ARP verdict of a trial: two live nodes answering for one VIP longer than a VRRP handover fails
it; a killed container's kernel is counted apart; silence is measured."""

from __future__ import annotations

from typing import Any

from ha_udp_lb.lab.drill.arp import Dead, arp_verdict

OWNERS = {"aa": "lb1", "bb": "lb2"}
HANDOVER_MS = 30.0
TWO_LIVE = "no VIP answered by two live nodes for longer than a VRRP handover (30 ms)"


def _rounds(*answers: list[str]) -> list[dict[str, Any]]:
    return [{"round": i, "at_ns": i, "answers": {"198.18.0.100": a}} for i, a in enumerate(answers)]


def _verdict(rounds: list[dict[str, Any]], dead: Dead | None = None) -> tuple[dict[str, bool], dict[str, object]]:
    return arp_verdict(rounds, 10.0, OWNERS, HANDOVER_MS, dead)


def test_one_mac_throughout_a_move_passes() -> None:
    checks, seen = _verdict(_rounds(["aa"], ["aa"], [], [], ["bb"]))
    assert all(checks.values())
    assert seen["arp_longest_silence_ms"] == {"198.18.0.100": 20.0}
    assert seen["arp_answered_by"] == {"198.18.0.100": ["lb1", "lb2"]}


def test_a_preemption_instant_passes_and_is_reported() -> None:
    checks, seen = _verdict(_rounds(["bb"], ["aa", "bb"], ["aa"]))
    assert checks[TWO_LIVE]
    assert seen["arp_samples_with_two_answers"] == {"198.18.0.100": 1}
    assert seen["arp_two_live_answers_ms"] == {"198.18.0.100": 10.0}


def test_a_backup_answering_for_its_loopback_vip_fails() -> None:
    checks, seen = _verdict(_rounds(*[["aa", "bb"]] * 5, ["bb"]))
    assert not checks[TWO_LIVE]
    assert checks["every VIP answered by exactly one MAC at the end"]
    assert seen["arp_two_live_answers_ms"] == {"198.18.0.100": 50.0}


def test_nobody_answering_at_the_end_fails() -> None:
    checks, _ = _verdict(_rounds(["aa"], []))
    assert not checks["every VIP answered by exactly one MAC at the end"]


def test_no_samples_fail() -> None:
    checks, _ = _verdict([])
    assert not checks[TWO_LIVE]


def test_a_killed_containers_kernel_is_counted_apart_and_only_while_it_is_dead() -> None:
    rounds = _rounds(["aa"], *[["aa", "bb"]] * 4, ["bb"], *[["aa", "bb"]] * 4)
    checks, seen = _verdict(rounds, Dead("aa", from_ns=1, until_ns=6))
    assert seen["arp_dead_container_answered_ms"] == {"198.18.0.100": 40.0}
    # Rounds 6 to 9, running again, are two live nodes for 40 ms: longer than a handover.
    assert seen["arp_two_live_answers_ms"] == {"198.18.0.100": 40.0}
    assert not checks[TWO_LIVE]


def test_a_dead_nodes_answer_must_be_corrected_by_a_later_gratuitous_arp_from_a_live_node() -> None:
    rounds = _rounds(["aa"], ["aa"], ["aa", "bb"], ["bb"], ["bb"])
    dead = Dead("aa", from_ns=1)
    corrected = "every dead node's ARP answer followed by a live node's gratuitous ARP"
    burst_before = [{"at_ns": 1, "vip": "198.18.0.100", "mac": "bb"}]
    checks, seen = arp_verdict(rounds, 10.0, OWNERS, HANDOVER_MS, dead, burst_before)
    assert not checks[corrected] and seen["arp_dead_answers_uncorrected"] == ["198.18.0.100"]
    from_the_dead = [{"at_ns": 3, "vip": "198.18.0.100", "mac": "aa"}]
    checks, _ = arp_verdict(rounds, 10.0, OWNERS, HANDOVER_MS, dead, burst_before + from_the_dead)
    assert not checks[corrected]
    repeated = [*burst_before, {"at_ns": 3, "vip": "198.18.0.100", "mac": "bb"}]
    checks, seen = arp_verdict(rounds, 10.0, OWNERS, HANDOVER_MS, dead, repeated)
    assert checks[corrected] and seen["arp_dead_answers_uncorrected"] == []

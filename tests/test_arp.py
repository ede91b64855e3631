"""The ARP verdict of a trial: two MACs for one VIP in any sample fails it, silence is measured."""

from __future__ import annotations

from typing import Any

from lab.drill.arp import Dead, arp_verdict

OWNERS = {"aa": "lb1", "bb": "lb2"}


def _rounds(*answers: list[str]) -> list[dict[str, Any]]:
    return [{"round": i, "at_ns": i, "answers": {"198.18.0.100": a}} for i, a in enumerate(answers)]


def test_one_mac_throughout_a_move_passes() -> None:
    checks, seen = arp_verdict(_rounds(["aa"], ["aa"], [], [], ["bb"]), 10.0, OWNERS)
    assert all(checks.values())
    assert seen["arp_longest_silence_ms"] == {"198.18.0.100": 20.0}
    assert seen["arp_answered_by"] == {"198.18.0.100": ["lb1", "lb2"]}


def test_two_macs_in_one_sample_fail() -> None:
    checks, seen = arp_verdict(_rounds(["aa"], ["aa", "bb"], ["bb"]), 10.0, OWNERS)
    assert not checks["no VIP answered by two live nodes in any ARP sample"]
    assert checks["every VIP answered by exactly one MAC at the end"]
    assert seen["arp_samples_with_two_answers"] == {"198.18.0.100": 1}


def test_nobody_answering_at_the_end_fails() -> None:
    checks, _ = arp_verdict(_rounds(["aa"], []), 10.0, OWNERS)
    assert not checks["every VIP answered by exactly one MAC at the end"]


def test_no_samples_fail() -> None:
    checks, _ = arp_verdict([], 10.0, OWNERS)
    assert not checks["no VIP answered by two live nodes in any ARP sample"]


def test_a_killed_containers_kernel_answering_is_counted_apart_and_only_while_it_is_dead() -> None:
    rounds = _rounds(["aa"], ["aa", "bb"], ["aa", "bb"], ["bb"], ["aa", "bb"])
    checks, seen = arp_verdict(rounds, 10.0, OWNERS, Dead("aa", from_ns=1, until_ns=4))
    assert seen["arp_dead_container_answered_ms"] == {"198.18.0.100": 20.0}
    # Rounds 1 and 2 are the dead container's kernel; round 4, running again, is two live nodes.
    assert seen["arp_samples_with_two_answers"] == {"198.18.0.100": 1}
    assert not checks["no VIP answered by two live nodes in any ARP sample"]

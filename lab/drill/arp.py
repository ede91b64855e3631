"""What ARP said during a trial (pure): for each VIP, how many MACs answered each sample."""

from __future__ import annotations

from typing import Any


def arp_verdict(
    rounds: list[dict[str, Any]], interval_ms: float, owners: dict[str, str]
) -> tuple[dict[str, bool], dict[str, object]]:
    """`rounds`: the ARP probe's samples; `owners`: MAC → node. Checks, and what was seen."""
    vips = sorted({vip for r in rounds for vip in r["answers"]})
    doubled = {vip: sum(1 for r in rounds if len(r["answers"][vip]) > 1) for vip in vips}
    last = rounds[-1]["answers"] if rounds else {}
    checks = {
        "no VIP answered by two MACs in any ARP sample": rounds != [] and not any(doubled.values()),
        "every VIP answered by exactly one MAC at the end": all(len(last.get(vip, [])) == 1 for vip in vips),
    }
    observations: dict[str, object] = {
        "arp_samples": len(rounds),
        "arp_samples_with_two_answers": doubled,
        "arp_longest_silence_ms": {vip: _longest_silence(rounds, vip) * interval_ms for vip in vips},
        "arp_answered_by": {
            vip: sorted({owners.get(mac, mac) for r in rounds for mac in r["answers"][vip]}) for vip in vips
        },
    }
    return checks, observations


def _longest_silence(rounds: list[dict[str, Any]], vip: str) -> int:
    """The longest run of samples in which nobody answered for `vip`."""
    longest = run = 0
    for r in rounds:
        run = 0 if r["answers"][vip] else run + 1
        longest = max(longest, run)
    return longest

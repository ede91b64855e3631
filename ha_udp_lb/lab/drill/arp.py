"""What ARP said during a trial (pure): for each VIP, which MACs answered each sample.

A container killed outright cannot take its VIPs off its interface; its kernel goes on answering ARP
for them until the engine deletes the interface. Those answers are counted apart (a "dead" MAC, from
the kill until the container runs again): they are the engine's teardown, not two live nodes claiming
one VIP, which is what the loopback VIPs' ARP settings must rule out. Two live nodes may answer for
an instant when one preempts the other (VRRP's new master claims the VIP before the old one, on its
advert, lets go): allowed for at most one advert interval; a node answering for a VIP it keeps only on
`lo` answers in every sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dead:
    mac: str
    from_ns: int
    until_ns: int | None = None
    """None: not running again within the trial."""

    def covers(self, mac: str, at_ns: int) -> bool:
        return mac == self.mac and at_ns >= self.from_ns and (self.until_ns is None or at_ns < self.until_ns)


def arp_verdict(
    rounds: list[dict[str, Any]],
    interval_ms: float,
    owners: dict[str, str],
    handover_ms: float,
    dead: Dead | None = None,
    gratuitous: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, bool], dict[str, object]]:
    """`rounds`: the ARP probe's samples `interval_ms` apart; `owners`: MAC → node; `handover_ms`: the
    VRRP advert interval; `gratuitous`: the gratuitous ARPs seen ({"at_ns", "vip", "mac"}). Checks, and
    what was seen."""
    vips = sorted({vip for r in rounds for vip in r["answers"]})

    def live(r: dict[str, Any], vip: str) -> list[str]:
        return [mac for mac in r["answers"][vip] if not (dead and dead.covers(mac, r["at_ns"]))]

    twice = {vip: [len(live(r, vip)) > 1 for r in rounds] for vip in vips}
    doubled_ms = {vip: _longest(twice[vip]) * interval_ms for vip in vips}
    from_dead = {vip: [len(live(r, vip)) < len(r["answers"][vip]) for r in rounds] for vip in vips}
    last = rounds[-1]["answers"] if rounds else {}
    checks = {
        f"no VIP answered by two live nodes for longer than a VRRP handover ({handover_ms:.0f} ms)": rounds != []
        and all(ms <= handover_ms for ms in doubled_ms.values()),
        "every VIP answered by exactly one MAC at the end": all(len(last.get(vip, [])) == 1 for vip in vips),
    }
    observations: dict[str, object] = {
        "arp_samples": len(rounds),
        "arp_samples_with_two_answers": {vip: sum(twice[vip]) for vip in vips},
        "arp_two_live_answers_ms": doubled_ms,
        "arp_longest_silence_ms": {
            vip: _longest([not r["answers"][vip] for r in rounds]) * interval_ms for vip in vips
        },
        "arp_answered_by": {
            vip: sorted({owners.get(mac, mac) for r in rounds for mac in r["answers"][vip]}) for vip in vips
        },
        "arp_dead_container_answered_ms": {vip: _longest(from_dead[vip]) * interval_ms for vip in vips},
    }
    if dead and gratuitous is not None:
        # An exporter that asked as the dead node's kernel answered caches a MAC nobody listens on; only
        # a later gratuitous ARP from a live node corrects it before the entry ages out (seconds).
        last_dead = {vip: at for vip in vips if (at := _last(rounds, from_dead[vip])) is not None}
        uncorrected = sorted(
            vip
            for vip, at in last_dead.items()
            if not any(g["vip"] == vip and g["mac"] != dead.mac and g["at_ns"] > at for g in gratuitous)
        )
        observations["arp_dead_answers_uncorrected"] = uncorrected
        checks["every dead node's ARP answer followed by a live node's gratuitous ARP"] = not uncorrected
    return checks, observations


def _last(rounds: list[dict[str, Any]], flags: list[bool]) -> int | None:
    """The send time of the last round whose flag is set."""
    return max((r["at_ns"] for r, flag in zip(rounds, flags, strict=True) if flag), default=None)


def _longest(flags: list[bool]) -> int:
    """The longest run of True."""
    longest = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest

"""Pure verdicts: from what the probes saw of a collector to whether each pool may send to it.

Evidence per collector host: echo replies and misses (absence of evidence: `fall` misses in a row are
needed), ICMP port unreachables (positive evidence that nothing listens: one is enough, because hosts
send at most ~1 per second after a burst of 6, so waiting for more would cost seconds), and the
optional TCP/HTTP check's results (a refused connect, a reset, is such evidence too: one is enough;
a timeout or a bad answer needs `fall` in a row). A collector comes back only after `hold_down` seconds with no
evidence against it, so a flapping collector does not drag exporters to and fro."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple


@dataclass(frozen=True)
class CheckSettings:
    """A pool's health-check settings (the stack's `pools[].healthCheck`)."""

    interval: float
    timeout: float
    fall: int
    rise: int
    hold_down: float
    probe: str
    """"udp": echo + port probe; "icmp": echo only; "tcp"/"http": echo + that check on `port`."""
    port: int | None = None
    path: str | None = None
    panic_below: float = 0.0
    """Fewer than this share of the pool's backends healthy: send to all (see `usable`)."""
    echo: bool = True
    """False: no echo is sent (it is filtered where the pool runs): the TCP/HTTP check alone tells."""


@dataclass
class HostEvidence:
    """What the probes saw of one collector host (all times CLOCK_MONOTONIC ns)."""

    misses: int = 0
    """Echo requests unanswered in a row."""
    replies: int = 0
    """Echo replies in a row."""
    last_miss_ns: int = 0
    refused_ns: dict[int, int] = field(default_factory=dict)
    """Port → when the last ICMP port unreachable for it arrived."""
    check_failures: dict[int, int] = field(default_factory=dict)
    """TCP/HTTP check port → failures in a row."""
    check_refused_ns: dict[int, int] = field(default_factory=dict)
    """TCP/HTTP check port → when a connect to it was last refused (a reset: nothing listens)."""
    check_successes: dict[int, int] = field(default_factory=dict)
    last_check_failure_ns: dict[int, int] = field(default_factory=dict)
    rtt_s: float | None = None
    """The last echo's round trip."""

    @property
    def last_refusal_ns(self) -> int:
        return max(self.refused_ns.values(), default=0)


SILENT = "host silent"
"""The reason of a verdict on echo requests unanswered: the host, or the way to it, says nothing."""


@dataclass(frozen=True)
class Verdict:
    up: bool
    since_ns: int
    reason: str
    returning: bool = False
    """Down, but answering again (`rise` replies and checks in a row): waiting out its hold-down."""


def judge(previous: Verdict, port: int, evidence: HostEvidence, check: CheckSettings, now_ns: int) -> Verdict:
    """The backend `host:port`'s health for a pool with `check`, given what it was before."""
    if previous.up:
        reason = _failing(previous, port, evidence, check)
        return Verdict(False, now_ns, reason) if reason else previous
    if _recovered(previous, port, evidence, check, now_ns):
        return Verdict(True, now_ns, f"healthy for the {check.hold_down:g} s hold-down")
    returning = _answering(evidence, check)
    return previous if returning == previous.returning else replace(previous, returning=returning)


def _failing(previous: Verdict, port: int, evidence: HostEvidence, check: CheckSettings) -> str | None:
    if check.echo and evidence.misses >= check.fall:
        return f"{SILENT}: {evidence.misses} echo requests unanswered"
    if check.probe == "udp" and evidence.refused_ns.get(port, 0) > previous.since_ns:
        return f"port {port} closed: ICMP port unreachable"
    if check.port is not None and evidence.check_refused_ns.get(check.port, 0) > previous.since_ns:
        return f"{check.probe} check on port {check.port} refused: nothing listens"
    if check.port is not None and evidence.check_failures.get(check.port, 0) >= check.fall:
        return f"{check.probe} check on port {check.port} failed {evidence.check_failures[check.port]} times"
    return None


def _answering(evidence: HostEvidence, check: CheckSettings) -> bool:
    if check.echo and evidence.replies < check.rise:
        return False
    return check.port is None or evidence.check_successes.get(check.port, 0) >= check.rise


def _recovered(previous: Verdict, port: int, evidence: HostEvidence, check: CheckSettings, now_ns: int) -> bool:
    if not _answering(evidence, check):
        return False
    # Any refusal from the host holds all its ports down: a collector serving several ports restarts
    # as one, and refusals are rate-limited per host, so one port may go a while without its own.
    latest = [previous.since_ns, evidence.last_miss_ns]
    if check.probe == "udp":
        latest.append(evidence.last_refusal_ns)
    if check.port is not None:
        latest.append(evidence.last_check_failure_ns.get(check.port, 0))
    return now_ns - max(latest) >= check.hold_down * 1e9


class Sendable(NamedTuple):
    backends: set[str]
    """The backends the pool may send to."""
    panicking: bool
    """Sending to all because too few are healthy (see `usable`)."""


def usable(verdicts: dict[str, Verdict], panic_below: float = 0.0, panicking: bool = False) -> Sendable:
    """The backends a pool may send to: the healthy ones; or every one when none is healthy (marking
    them all down would drop everything; a collector that is merely unreachable from here may not be),
    or when fewer than `panic_below` of them are: the pool's panic mode, so that the few healthy ones
    are not handed everyone's exporters. A pool `panicking` (either way) stays so while a collector is
    returning (answering, in its hold-down): leaving then would move that collector's exporters away
    and back, and a node whose cable was pulled would hand every exporter to the first collector past
    its hold-down."""
    healthy = {backend for backend, verdict in verdicts.items() if verdict.up}
    returning = any(verdict.returning for verdict in verdicts.values())
    panic = not healthy or len(healthy) < panic_below * len(verdicts) or (panicking and returning)
    return Sendable(set(verdicts) if panic else healthy, panic)


def all_silent(verdicts: dict[str, Verdict]) -> bool:
    """Every backend down for silence to echo at once: the signature of the network (a filter dropping
    echo, a cut link) more than of every collector failing together."""
    return bool(verdicts) and all(not v.up and v.reason.startswith(SILENT) for v in verdicts.values())

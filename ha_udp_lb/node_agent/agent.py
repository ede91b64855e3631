"""The loop: probe each collector host, take in replies, judge each pool's backends, act on changes."""

from __future__ import annotations

import ipaddress
import json
import select
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import pools, report
from .announce import Announcer
from .judge import CheckSettings, HostEvidence, Verdict, judge, usable
from .kernel import KernelPool
from .kernel_plane import KernelPlane
from .probes import EchoReply, PortUnreachable, Wire

BURST_GAP_NS = 1_000_000_000
"""After a refusal, every port of that host is poked at once, at most once a second."""
REPORT_EVERY_NS = 1_000_000_000
ERROR_PAUSE_S = 0.5


@dataclass
class Host:
    """One collector host's probe schedule, the strictest of the pools that use it."""

    address: str
    interval_ns: int
    timeout_ns: int
    fall: int
    ports: list[int]
    """Ports probed with empty datagrams, round-robin, one per tick."""
    evidence: HostEvidence = field(default_factory=HostEvidence)
    next_tick_ns: int = 0
    pending: tuple[int, int, int] | None = None
    """(seq, sent ns, deadline ns) of the echo awaiting its reply."""
    seq: int = 0
    turn: int = 0
    burst_ns: int = 0


@dataclass
class PoolConfig:
    name: str
    file: str | None
    """nginx plane: the pool file whose servers get marked down."""
    kernel: KernelPool | None
    """kernel plane: the slot maps that get swapped."""
    backends: dict[str, tuple[str, int]]
    """Endpoint → (address, port)."""
    check: CheckSettings


def pool_configs(config: dict[str, Any]) -> list[PoolConfig]:
    pools = []
    for p in config["pools"]:
        backends = {b["endpoint"]: (b["address"], b["port"]) for b in p["backends"]}
        check = CheckSettings(**p["check"])
        slots = None
        if p.get("kernel"):
            k = p["kernel"]
            listed = [(endpoint, address, port) for endpoint, (address, port) in backends.items()]
            slots = KernelPool(k["table"], k["id"], k["ruleset"], listed, k["weights"], k["size"])
        pools.append(PoolConfig(p["name"], p["file"], slots, backends, check))
    return pools


class Agent:
    def __init__(self, config: dict[str, Any]) -> None:
        self.node = str(config["node"])
        self.state_path, self.metrics_path = str(config["state"]), str(config["metrics"])
        self.pools = pool_configs(config)
        self.hosts = _hosts(self.pools)
        self.wire = Wire({ipaddress.ip_address(a).version for a in self.hosts})
        now = time.monotonic_ns()
        saved = report.load_views(self.state_path)
        start = Verdict(True, now, "assumed healthy when the agent started")
        self.views = {p.name: {b: saved.get(p.name, {}).get(b, start) for b in p.backends} for p in self.pools}
        self.checks: dict[tuple[str, int], Future[bool] | None] = {}
        self.next_check_ns: dict[tuple[str, int], int] = {}
        self.sent: dict[tuple[str, str], int] = {}
        self.transitions: list[dict[str, object]] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.reported_ns = 0
        self.synced = False
        self.last_turn_s = 0.0
        """Wall-clock time of the last turn that completed: the liveness metric."""
        self.turn_errors = 0
        self.sendable = {p.name: usable(self.views[p.name], p.check.panic_below) for p in self.pools}
        """Per pool, where it sends and whether it panics: what the pool files and slot maps say."""
        kernel_pools = {p.name: p.kernel for p in self.pools if p.kernel}
        self.kernel = KernelPlane(kernel_pools, str(config["kernel_down"]), self._backends())
        self.announcer = Announcer.from_config(config.get("announce"))

    def run(self) -> None:
        """Until stopped; its metrics go with it, so that nothing claims health while it is not judging."""
        try:
            keep_turning(self._turn, self._failed)
        finally:
            Path(self.metrics_path).unlink(missing_ok=True)

    def _turn(self) -> None:
        if not self.synced:
            self._sync_pool_files()
            self.synced = True
        now = time.monotonic_ns()
        wake = min((self._probe(host, now) for host in self.hosts.values()), default=now + REPORT_EVERY_NS)
        wake = min(wake, self._run_checks(now), self.kernel.watch(now), self.announcer.follow(now))
        ready, _, _ = select.select(list(self.wire.icmp.values()), [], [], max(0, wake - now) / 1e9)
        now = time.monotonic_ns()
        for version, sock in self.wire.icmp.items():
            if sock in ready:
                for message in self.wire.receive(version):
                    self._take(message, now)
        if self._judge(now) or now - self.reported_ns >= REPORT_EVERY_NS:
            self._report(now)
        self.last_turn_s = time.time()

    def _failed(self) -> None:
        self.turn_errors += 1

    def _probe(self, host: Host, now: int) -> int:
        """Send what is due to `host`; returns when it next needs attention."""
        evidence = host.evidence
        if host.pending and now >= host.pending[2]:
            evidence.misses, evidence.replies, evidence.last_miss_ns = evidence.misses + 1, 0, now
            host.pending = None
            if evidence.misses < host.fall:
                host.next_tick_ns = now  # confirm at once: a dead host is declared after `fall` quick misses
        if host.pending is None and now >= host.next_tick_ns:
            host.seq = (host.seq + 1) & 0xFFFF
            self.wire.echo(host.address, host.seq)
            host.pending = (host.seq, now, now + host.timeout_ns)
            self._count(host.address, "echo")
            if host.ports:
                self._poke(host, host.ports[host.turn % len(host.ports)])
                host.turn += 1
            host.next_tick_ns = max(host.next_tick_ns + host.interval_ns, now + host.timeout_ns)
        return min(host.pending[2] if host.pending else host.next_tick_ns, host.next_tick_ns)

    def _poke(self, host: Host, port: int) -> None:
        self.wire.poke(host.address, port)
        self._count(host.address, "udp")

    def _count(self, address: str, kind: str) -> None:
        self.sent[(address, kind)] = self.sent.get((address, kind), 0) + 1

    def _take(self, message: EchoReply | PortUnreachable, now: int) -> None:
        host = self.hosts.get(message.address)
        if host is None:
            return
        if isinstance(message, EchoReply):
            if host.pending and host.pending[0] == message.seq:
                host.evidence.rtt_s = (now - host.pending[1]) / 1e9
                host.evidence.misses, host.evidence.replies = 0, host.evidence.replies + 1
                host.pending = None
            return
        host.evidence.refused_ns[message.port] = now
        if now - host.burst_ns >= BURST_GAP_NS:
            # One closed port usually means the collector process is gone: ask about the others now.
            host.burst_ns = now
            for port in host.ports:
                if port != message.port:
                    self._poke(host, port)

    def _run_checks(self, now: int) -> int:
        """The pools' TCP/HTTP checks, each in a worker thread; returns when the next is due."""
        wake = now + 1_000_000_000
        for pool in self.pools:
            check = pool.check
            if check.port is None:
                continue
            for address in {a for a, _ in pool.backends.values()}:
                key = (address, check.port)
                future = self.checks.get(key)
                evidence = self.hosts[address].evidence
                if future is not None and future.done():
                    ok = future.result()
                    _tally(evidence, check.port, ok, now)
                    self.checks[key] = None
                if self.checks.get(key) is None and now >= self.next_check_ns.get(key, 0):
                    self.checks[key] = self.wire.check(check.probe, address, check.port, check.path, check.timeout)
                    self.next_check_ns[key] = now + int(check.interval * 1e9)
                wake = min(wake, self.next_check_ns[key])
        return wake

    def _judge(self, now: int) -> bool:
        """Judge every backend of every pool; True when a pool's usable set changed."""
        changed = False
        for pool in self.pools:
            for endpoint, (address, port) in pool.backends.items():
                old = self.views[pool.name][endpoint]
                new = judge(old, port, self.hosts[address].evidence, pool.check, now)
                if new.up != old.up:
                    self._transition(pool.name, endpoint, new)
                self.views[pool.name][endpoint] = new
            before = self.sendable[pool.name]
            self.sendable[pool.name] = usable(self.views[pool.name], pool.check.panic_below, before.panicking)
            changed |= self.sendable[pool.name].backends != before.backends
            if self.sendable[pool.name].panicking != before.panicking:
                state = "too few collectors healthy: sending to all" if not before.panicking else "enough healthy again"
                report.log(f"{pool.name}: {state}")
        if changed:
            self._sync_pool_files()
        return changed

    def _backends(self) -> dict[str, set[str]]:
        return {name: sendable.backends for name, sendable in self.sendable.items()}

    def _transition(self, pool: str, endpoint: str, verdict: Verdict) -> None:
        self.counts[(pool, endpoint)] = self.counts.get((pool, endpoint), 0) + 1
        entry = {
            "at_ns": verdict.since_ns,
            "pool": pool,
            "backend": endpoint,
            "up": verdict.up,
            "reason": verdict.reason,
        }
        self.transitions = [*self.transitions[-99:], entry]
        report.log(f"{pool} {endpoint} {'up' if verdict.up else 'down'}: {verdict.reason}")

    def _sync_pool_files(self) -> None:
        self.kernel.sync(self._backends())
        changes = {}
        for pool in self.pools:
            if pool.file is None:
                continue
            down = set(pool.backends) - self.sendable[pool.name].backends
            text = Path(pool.file).read_text()
            if pools.marked_down(text) != down:
                changes[pool.file] = pools.mark_down(text, down)
        if changes:
            started = time.monotonic_ns()
            problem = pools.apply(changes)
            took = f"{(time.monotonic_ns() - started) / 1e6:.0f} ms"
            names = ", ".join(sorted(Path(p).stem for p in changes))
            report.log(
                f"nginx refused the change ({took}), nothing changed: {problem}"
                if problem
                else f"pools {names} re-marked, judged by nginx -t and reloaded in {took}"
            )

    def _report(self, now: int) -> None:
        self.kernel.keep(self._backends())
        self.reported_ns = now
        report.write_atomically(self.state_path, report.state_json(self.node, now, self.views, self.transitions))
        hosts = {address: host.evidence for address, host in self.hosts.items()}
        metrics = report.metrics(self.views, self.counts, hosts, self.sent)
        metrics += self.kernel.metrics() + self.announcer.metrics()
        metrics += report.liveness(self.last_turn_s or time.time(), self.turn_errors)
        report.write_atomically(self.metrics_path, metrics)


def keep_turning(turn: Callable[[], None], failed: Callable[[], None], pause_s: float = ERROR_PAUSE_S) -> None:
    """Run `turn` for ever. One that fails is logged with its traceback and counted, and the next runs
    after `pause_s`: a bad turn (a file gone, a command refused) must not end the agent, and a repeating
    one must not spin."""
    while True:
        try:
            turn()
        except Exception:  # whatever one turn hit, the next one runs
            report.log("a turn failed, going on: " + traceback.format_exc().strip().replace("\n", " | "))
            failed()
            time.sleep(pause_s)


def _tally(evidence: HostEvidence, port: int, ok: bool, now: int) -> None:
    if ok:
        evidence.check_successes[port] = evidence.check_successes.get(port, 0) + 1
        evidence.check_failures[port] = 0
    else:
        evidence.check_failures[port] = evidence.check_failures.get(port, 0) + 1
        evidence.check_successes[port] = 0
        evidence.last_check_failure_ns[port] = now


def _hosts(pool_configs: list[PoolConfig]) -> dict[str, Host]:
    hosts: dict[str, Host] = {}
    for pool in pool_configs:
        check = pool.check
        for address, port in pool.backends.values():
            host = hosts.setdefault(
                address, Host(address, int(check.interval * 1e9), int(check.timeout * 1e9), check.fall, [])
            )
            host.interval_ns = min(host.interval_ns, int(check.interval * 1e9))
            host.timeout_ns = min(host.timeout_ns, int(check.timeout * 1e9))
            host.fall = max(host.fall, check.fall)
            if check.probe == "udp" and port not in host.ports:
                host.ports.append(port)
    return hosts


def load(path: str) -> Agent:
    return Agent(json.loads(Path(path).read_text()))

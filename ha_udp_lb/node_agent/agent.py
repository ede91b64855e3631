"""The loop: probe each collector host, take in replies, judge each pool's backends, act on changes."""

from __future__ import annotations

import ipaddress
import json
import select
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from . import pools, report
from .announce import Announcer
from .judge import Verdict, all_silent, judge, usable
from .kernel_plane import KernelPlane
from .lock import held
from .node_facts import NodeFacts
from .probes import EchoReply, Outcome, PortUnreachable, Wire
from .settings import Host, pool_configs, probe_hosts, tally
from .steps import isolated, keep_turning
from .template_keeper import TemplateKeeper

BURST_GAP_NS = 1_000_000_000
"""After a refusal, every port of that host is poked at once, at most once a second."""
REPORT_EVERY_NS = 1_000_000_000
T = TypeVar("T")
RETRY_FIRST_NS, RETRY_MAX_NS = 100_000_000, 5_000_000_000
"""A change the node did not take (nginx -t or nft refused it, apply held the lock, it raised) is tried
again 0.1 s later, then ever later up to every 5 s, until the node runs what the verdicts say."""


class Agent:
    def __init__(self, config: dict[str, Any]) -> None:
        self.node = str(config["node"])
        self.state_path, self.metrics_path = str(config["state"]), str(config["metrics"])
        self.pools = pool_configs(config)
        self.hosts = probe_hosts(self.pools)
        self.wire = Wire({ipaddress.ip_address(a).version for a in self.hosts})
        now = time.monotonic_ns()
        saved = report.load_views(self.state_path)
        start = Verdict(True, now, "assumed healthy when the agent started")
        self.views = {p.name: {b: saved.get(p.name, {}).get(b, start) for b in p.backends} for p in self.pools}
        self.checks: dict[tuple[str, int], Future[Outcome] | None] = {}
        self.next_check_ns: dict[tuple[str, int], int] = {}
        self.sent: dict[tuple[str, str], int] = {}
        self.transitions: list[dict[str, object]] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.reported_ns = 0
        self.behind, self.retry_ns, self.backoff_ns = True, 0, RETRY_FIRST_NS
        """The node does not run what the verdicts say (at start: not known to): reconcile when due."""
        self.moving: set[str] = set()
        """Pools whose exporters go elsewhere once the node takes the pending change."""
        self.errors: dict[str, int] = {}
        """Step → how often it raised: each step is isolated, so one failing never stops the others."""
        self.sync_failures = 0
        self.lock = str(config.get("lock", ""))
        self.last_turn_s = 0.0
        """Wall-clock time of the last turn that completed: the liveness metric."""
        self.turn_errors = 0
        self.sendable = {p.name: usable(self.views[p.name], p.check.panic_below) for p in self.pools}
        """Per pool, where it sends and whether it panics: what the pool files and slot maps say."""
        kernel_pools = {p.name: p.kernel for p in self.pools if p.kernel}
        self.kernel = KernelPlane(kernel_pools, str(config["kernel_down"]), self._backends(), config.get("firewall"))
        self.announcer = Announcer.from_config(config.get("announce"))
        self.templates = TemplateKeeper(config.get("templates"))
        self.facts = NodeFacts(config)

    def run(self) -> None:
        """Until stopped; its metrics go with it, so that nothing claims health while it is not judging."""
        try:
            keep_turning(self._turn, self._failed)
        finally:
            self.facts.stop()
            Path(self.metrics_path).unlink(missing_ok=True)

    def _turn(self) -> None:
        now = time.monotonic_ns()
        if self.behind and now >= self.retry_ns:
            self._reconcile(now)
        later = now + REPORT_EVERY_NS
        wake = min(
            (self._isolated("probe", self._probe, later, host, now) for host in self.hosts.values()), default=later
        )
        wake = min(wake, self._isolated("check", self._run_checks, later, now), self.retry_ns if self.behind else later)
        wake = min(wake, self._isolated("kernel", self.kernel.watch, later, now))
        if self.kernel.take_replaced():  # a deploy's new table may send exporters elsewhere: replay now
            self._isolated("templates", self.templates.table_replaced, None, now)
        wake = min(wake, self._isolated("announce", self.announcer.follow, later, now))
        wake = min(wake, self._isolated("replay", self.templates.replay, later, now))
        readable: list[socket.socket | int] = [*self.wire.icmp.values(), *self.templates.sockets(), self.wire.checked]
        ready, _, _ = select.select(readable, [], [], max(0, wake - now) / 1e9)
        self.wire.take_wakes()  # a check that finished woke us: the next turn, at once, takes it in
        now = time.monotonic_ns()
        if set(ready) & set(self.templates.sockets()):
            self._isolated("templates", self.templates.take, None, now)
        for version, sock in self.wire.icmp.items():
            if sock in ready:
                self._isolated("receive", self._drain, None, version, now)
        if self._isolated("judge", self._judge, False, now) or now - self.reported_ns >= REPORT_EVERY_NS:
            self._isolated("report", self._report, None, now)
        self.last_turn_s = time.time()

    def _isolated(self, step: str, action: Callable[..., T], fallback: T, *args: Any) -> T:
        return isolated(self.errors, step, action, fallback, *args)

    def _drain(self, version: int, now: int) -> None:
        for message in self.wire.receive(version):
            self._take(message, now)

    def _reconcile(self, now: int) -> None:
        """Bring the pool files and slot maps to the verdicts; what the node did not take is tried again."""
        if self._isolated("sync", self._sync_pool_files, False):
            self.behind, self.backoff_ns = False, RETRY_FIRST_NS
            self.templates.moved(self.moving, now)  # what moved without a swap of its own (a reload)
            self.moving = set()
            return
        self.sync_failures += 1
        self.behind, self.retry_ns = True, now + self.backoff_ns
        self.backoff_ns = min(2 * self.backoff_ns, RETRY_MAX_NS)

    def _moved(self, pool: str) -> None:
        """The node took `pool`'s change: its exporters reach other collectors now; give those their
        templates at once (template_keeper)."""
        now = time.monotonic_ns()
        self.moving.discard(pool)
        self.templates.moved({pool}, now)
        self._isolated("replay", self.templates.replay, None, now)

    def _failed(self) -> None:
        self.turn_errors += 1

    def _probe(self, host: Host, now: int) -> int:
        """Send what is due to `host`; returns when it next needs attention."""
        if not host.echo:  # judged by its TCP/HTTP check alone (_run_checks)
            return now + REPORT_EVERY_NS
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
                    # A check that raised failed: counted, and its collector judged on it like any other.
                    tally(evidence, check.port, isolated(self.errors, "check", future.result, "failed"), now)
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
            if self.sendable[pool.name].backends != before.backends:
                changed = True
                self.moving.add(pool.name)
            if self.sendable[pool.name].panicking != before.panicking:
                state = "too few collectors healthy: sending to all" if not before.panicking else "enough healthy again"
                if all_silent(self.views[pool.name]):
                    state += f" — every one silent to echo: the network, or echo filtered ({report.NO_ECHO})"
                report.log(f"{pool.name}: {state}")
        if changed:
            self._reconcile(now)
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

    def _sync_pool_files(self) -> bool:
        """True once the pool files and slot maps say what the verdicts do; False when the node did not
        take the change (nothing half-done: each pool file and each pool's slots change whole or not)."""
        with held(self.lock) as ours:
            if not ours:
                return False
            in_step = self.kernel.sync(self._backends(), self._moved)
            changes = self._pool_file_changes()
            if not changes:
                return in_step
            started = time.monotonic_ns()
            problem = pools.apply(changes)
            if problem is None:
                for pool in self.pools:
                    if pool.file in changes:
                        self._moved(pool.name)
        took = f"{(time.monotonic_ns() - started) / 1e6:.0f} ms"
        names = ", ".join(sorted(Path(p).stem for p in changes))
        report.log(
            f"nginx refused the change ({took}), nothing changed; trying again: {problem}"
            if problem
            else f"pools {names} re-marked, judged by nginx -t and reloaded in {took}"
        )
        return in_step and problem is None

    def _pool_file_changes(self) -> dict[str, str]:
        """Pool file → its text with the servers the verdicts rule out marked down, where it differs."""
        changes = {}
        for pool in self.pools:
            if pool.file is None:
                continue
            down = set(pool.backends) - self.sendable[pool.name].backends
            text = Path(pool.file).read_text()
            if pools.marked_down(text) != down:
                changes[pool.file] = pools.mark_down(text, down)
        return changes

    def _report(self, now: int) -> None:
        # The table reloaded, slots or a pool file someone else rewrote: put the verdicts back now.
        differs = not self._isolated("verify", self.kernel.verify, True)
        if self.kernel.keep() or differs or (not self.behind and self._pool_file_changes()):
            self.behind, self.retry_ns = True, now
            self.moving |= set(self.sendable)
        self._isolated("templates", self.templates.keep, None, now)
        self.reported_ns = now
        report.write_atomically(self.state_path, report.state_json(self.node, now, self.views, self.transitions))
        hosts = {address: host.evidence for address, host in self.hosts.items()}
        metrics = report.metrics(self.views, self.counts, hosts, self.sent) + report.pool_states(
            self.views, self.sendable
        )
        metrics += self.kernel.metrics() + self.announcer.metrics() + self.templates.metrics()
        metrics += report.liveness(self.last_turn_s or time.time(), self.turn_errors)
        metrics += report.reconciling(not self.behind, self.sync_failures, self.errors)
        metrics += self._isolated("facts", self.facts.metrics, "")
        report.write_atomically(self.metrics_path, metrics)
        self.facts.publish(metrics)


def load(path: str) -> Agent:
    return Agent(json.loads(Path(path).read_text()))

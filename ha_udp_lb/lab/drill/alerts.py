"""Failures an operator is woken for, caused in the lab while its Prometheus (lab.host.prometheus)
evaluates the shipped rules: how long after each failure its alert fired, and how long after the
failure was undone it stopped. Two failures at a time, chosen so that neither hides the other:
a collector killed while the nodes cannot hear each other's adverts (both take every VIP); then one
node's agent killed while keepalived stops on every node (no VIP anywhere, as the other agent says);
and drops induced (datagrams with wrong checksums), slower to resolve (a rate over a minute)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO

from ..host.control import node_sh, set_vrrp_path, start_backend, stop_backend
from ..host.prometheus import LabPrometheus
from ..host.state import LabState
from .scenarios import activate

FIRE_WITHIN_S, RESOLVE_WITHIN_S = 40, 40


@dataclass(frozen=True)
class Fired:
    alert: str
    after_s: float
    """From the failure to the alert seen firing (the lab polls every ~0.3 s)."""
    resolved_s: float
    """From the failure undone to the alert seen no longer firing."""
    wait_s: float
    """The rule's `for:`."""


def rule_waits() -> dict[str, float]:
    """Each alert's `for:` in seconds, from the shipped rules."""
    groups = yaml.safe_load((REPO / "monitoring" / "alerts.yml").read_text())["groups"]
    units = {"s": 1, "m": 60}
    return {
        r["alert"]: float(r.get("for", "0s")[:-1]) * units[r.get("for", "0s")[-1]] for g in groups for r in g["rules"]
    }


def split_brain_and_collector_down(state: LabState, prometheus: LabPrometheus, pool: str) -> list[Fired]:
    address, port = next(p for p in state.pools if p.name == pool).backends[0]
    backend = state.backend(address)
    alerts = {"HaUdpLbCollectorDown": {"collector": f"{backend.address}:{port}"}, "HaUdpLbVipOnTwoNodes": {}}

    def fail() -> None:
        stop_backend(backend)
        set_vrrp_path(state, cut=True)

    def undo() -> None:
        set_vrrp_path(state, cut=False)
        start_backend(backend)

    return _drill(prometheus, alerts, fail, undo)


def agent_killed_and_no_vip(state: LabState, prometheus: LabPrometheus) -> tuple[list[Fired], set[str]]:
    """And the VRRP states the nodes report while keepalived is stopped everywhere."""
    victim = state.nodes[-1]
    alerts = {"HaUdpLbAgentDown": {"node": victim.name}, "HaUdpLbVipOnNoNode": {}}

    def fail() -> None:
        node_sh(victim, f"kill -KILL $(cat {PATHS.health_pid})")
        for node in state.nodes:
            node_sh(node, f"kill -TERM $(cat {PATHS.keepalived_pid})")

    def undo() -> None:
        for node in state.nodes:
            node_sh(node, f"{activate(node)} >/dev/null 2>&1")

    seen: list[Any] = []
    fired = _drill(prometheus, alerts, fail, undo, lambda: seen.extend(prometheus.query("ha_udp_lb_vrrp_state == 1")))
    return fired, {sample["metric"]["state"] for sample in seen}


def bad_checksums(state: LabState, prometheus: LabPrometheus, pool: str) -> list[Fired]:
    """Drops induced: one exporter sends the pool datagrams whose UDP checksum is wrong, 20 a second,
    until the drop alert fires. The node's kernel drops them at the nginx socket (the lab's nginx plane):
    a rate over a minute, so it resolves a minute after the last."""
    target = next(p for p in state.pools if p.name == pool)
    exporter = state.exporters[0]
    count = 20 * FIRE_WITHIN_S
    argv = [sys.executable, "-m", "ha_udp_lb.lab.agents.bad_checksums", exporter.address, f"{target.vip}:{target.port}"]
    senders: list[subprocess.Popen[bytes]] = []

    def fail() -> None:
        command = ["ip", "netns", "exec", exporter.netns, *argv, str(count), str(FIRE_WITHIN_S)]
        senders.append(subprocess.Popen(command, cwd=REPO))

    def undo() -> None:
        for sender in senders:
            sender.kill()
            sender.wait()

    return _drill(prometheus, {"HaUdpLbNodeDropping": {"cause": "udp_checksum"}}, fail, undo, resolve_within=90)


def _drill(
    prometheus: LabPrometheus,
    alerts: dict[str, dict[str, str]],
    fail: Callable[[], None],
    undo: Callable[[], None],
    look: Callable[[], None] = lambda: None,
    resolve_within: float = RESOLVE_WITHIN_S,
) -> list[Fired]:
    """`fail`, every alert firing, `look` at the failed lab, `undo`, every alert resolved."""
    waits = rule_waits()
    failed = time.monotonic()
    fail()
    try:
        fired = prometheus.wait(alerts, True, FIRE_WITHIN_S)
        look()
    finally:
        undone = time.monotonic()
        undo()
    resolved = prometheus.wait(alerts, False, resolve_within)
    return [Fired(a, fired[a] - failed, resolved[a] - undone, waits[a]) for a in alerts]

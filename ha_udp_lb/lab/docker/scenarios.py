"""The failures a drill plays on the docker stack's containers, each as Docker or the host would cause
it, with ARP watched throughout every trial: for each VIP, one MAC answers."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime

from ha_udp_lb.core import commands
from ha_udp_lb.core.config import parse_stack

from ..drill.arp import Dead, arp_verdict
from ..drill.scenario import Context, Scenario, ScenarioError
from ..drill.trial import IN_FLIGHT_S, LEAD_IN_S
from ..host.control import holders, node_sh
from ..host.state import LAB_DIR, lab_config
from .arp_watch import owners, read_probe, stale_caches, start_probe
from .engine import docker
from .site import attach, wait_keepalived

ARP_SAMPLES = LAB_DIR / "arp.json"
RESTART_TIMEOUT_S = 30
DOCKER_BACKOFF_RESET_S = 10.5


def _sample_arp(ctx: Context, seconds: float) -> None:
    ctx.observations["arp_macs"] = owners(ctx.state)
    ctx.kept["arp"] = start_probe(ctx.state, seconds, ARP_SAMPLES)


def _judge_arp(ctx: Context) -> None:
    """The ARP samples' verdict, and what the exporters' own ARP caches say at the end: a late
    answer from a killed container could leave an exporter sending to a MAC nobody listens on."""
    samples = read_probe(ctx.kept.pop("arp"), ARP_SAMPLES)
    macs = ctx.observations["arp_macs"]
    assert isinstance(macs, dict)
    dead = None
    if "killed_ns" in ctx.kept:
        victim_mac = next(mac for mac, node in macs.items() if node == ctx.victim.name)
        dead = Dead(victim_mac, ctx.kept["killed_ns"], ctx.kept.get("running_again_ns"))
    advert_ms = parse_stack(lab_config(ctx.state.stack, ctx.state.overrides)).vrrp.advert_interval * 1000
    gratuitous = samples["gratuitous"]
    checks, observations = arp_verdict(samples["rounds"], samples["interval_ms"], macs, advert_ms, dead, gratuitous)
    stale = stale_caches(ctx.state, macs)
    checks["every exporter's ARP cache names the VIP's holder"] = not stale
    observations["stale_arp_caches"] = stale
    ctx.checks |= checks
    ctx.observations |= observations


def _kill_nginx(ctx: Context) -> None:
    ctx.mark(f"nginx killed in {ctx.victim.name} (SIGKILL)")
    if node_sh(ctx.victim, "pkill -KILL -x nginx").returncode != 0:
        raise ScenarioError(f"no nginx to kill in {ctx.victim.name}")


def _reapply(ctx: Context) -> None:
    """What brings a dead nginx back: the node's own apply, as the container's command runs it."""
    docker("exec", ctx.victim.name, *commands.apply_command().split())


def _kill_init(ctx: Context) -> None:
    """The container's PID 1 killed from the host, as the OOM killer or a crash would: its restart
    policy starts it again, and it takes its VIP back."""
    victim, vip = ctx.victim, ctx.state.vips[0].address
    before = victim.init_pid
    ctx.mark(f"{victim.name}'s PID 1 killed from the host")
    ctx.kept["killed_ns"] = time.monotonic_ns()
    os.kill(before, signal.SIGKILL)
    _wait_restarted(ctx, before)
    ctx.kept["running_again_ns"] = time.monotonic_ns()
    ctx.mark(f"{victim.name} restarted by its policy")
    wait_keepalived(victim)
    ctx.mark(f"keepalived running again in {victim.name}")
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while holders(ctx.state)[vip] != [victim.name]:
        if time.monotonic() > deadline:
            raise ScenarioError(f"{vip} did not come back to {victim.name} within {RESTART_TIMEOUT_S} s")
        time.sleep(0.02)
    ctx.mark(f"{vip} back on {victim.name}")


def _kill_container(ctx: Context) -> None:
    ctx.mark(f"{ctx.victim.name}: docker kill")
    ctx.kept["killed_ns"] = time.monotonic_ns()
    docker("kill", ctx.victim.name)


def _stop_container(ctx: Context) -> None:
    ctx.mark(f"{ctx.victim.name}: docker stop")
    docker("stop", ctx.victim.name)


def _start_again(ctx: Context) -> None:
    """A killed or stopped container stays down (Docker counts both as stopping it by hand)."""
    docker("start", ctx.victim.name)
    wait_keepalived(attach(ctx.victim))


def _wait_restarted(ctx: Context, before: int) -> None:
    """Until the victim's container runs again with a new PID 1; the lab then follows it there."""
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while True:
        status, pid = docker("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", ctx.victim.name).split()
        if status == "running" and int(pid) not in (0, before):
            break
        if time.monotonic() > deadline:
            raise ScenarioError(f"{ctx.victim.name} was not restarted by its policy within {RESTART_TIMEOUT_S} s")
        time.sleep(0.02)
    attach(ctx.victim)


def _up_long_enough(ctx: Context) -> None:
    """Docker doubles a container's restart delay (from 100 ms) each time it dies within 10 s of
    starting: a trial must not measure the backoff an earlier trial left."""
    started = docker("inspect", "-f", "{{.State.StartedAt}}", ctx.victim.name).strip()
    # RFC 3339 with nanoseconds; Python reads microseconds.
    seconds, _, fraction = started.rstrip("Z").partition(".")
    up_since = datetime.fromisoformat(f"{seconds}.{fraction[:6] or '0'}+00:00")
    time.sleep(max(0.0, DOCKER_BACKOFF_RESET_S - (datetime.now(UTC) - up_since).total_seconds()))


def _watched(scenario: Scenario) -> Scenario:
    """`scenario` with ARP sampled from before its exporters start until after they stop."""
    seconds = LEAD_IN_S + (scenario.duration_s or 4.0) + IN_FLIGHT_S
    prepare, restore = scenario.prepare, scenario.restore

    def prepare_then_sample(ctx: Context) -> None:
        prepare(ctx)
        _sample_arp(ctx, seconds)

    def judge_then_restore(ctx: Context) -> None:
        _judge_arp(ctx)
        restore(ctx)

    return replace(scenario, prepare=prepare_then_sample, restore=judge_then_restore)


DOCKER_SCENARIOS: dict[str, Scenario] = {
    s.name: _watched(s)
    for s in (
        Scenario(
            "nginx-kill",
            "every nginx process in the master's container killed (SIGKILL)",
            act=_kill_nginx,
            restore=_reapply,
            planes=frozenset({"nginx"}),
            duration_s=4.0,
        ),
        Scenario(
            "container-kill",
            "the master's container killed (docker kill: SIGKILL, no goodbye)",
            act=_kill_container,
            restore=_start_again,
            duration_s=4.0,
        ),
        Scenario(
            "container-stop",
            "the master's container stopped (docker stop: SIGTERM, keepalived says goodbye)",
            act=_stop_container,
            restore=_start_again,
            zero_loss=True,
            duration_s=4.0,
        ),
        Scenario(
            "policy-restart",
            "the master's PID 1 killed from the host; its restart policy starts it again and it takes the VIP back",
            prepare=_up_long_enough,
            act=_kill_init,
            restore=lambda ctx: None,
            vip_ends_on="the victim",
            zero_loss_from="keepalived running again",
            duration_s=8.0,
        ),
    )
}

"""Drills that only a host booted with systemd can play: a daemon killed and restarted by systemd,
the health agent killed (its metrics must go while it is down), the master rebooted. Each notes how
long systemd took and when the master had its VIP back. Beside them the lab's own link cut and
collector kill run unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS

from ..drill.collectors import COLLECTOR_SCENARIOS
from ..drill.scenario import Context, Scenario, ScenarioError
from ..drill.scenarios import SCENARIOS as LAB_SCENARIOS
from ..host.control import HolderWatch, holders, node_sh
from ..host.state import NodeState, lab_config
from .machine import Machine, init_pid, wait_running

POLL_S = 0.01
"""How far apart two looks at the VIP's holders can be here (three namespaces asked, then a 10 ms sleep)."""
BACK_TIMEOUT_S = 60


def main_pid(node: NodeState, unit: str) -> int:
    said = node_sh(node, f"systemctl show -p MainPID --value {unit}", timeout=5).stdout.strip()
    return int(said or 0)


def _restarted(node: NodeState, unit: str, before: int) -> Callable[[], bool]:
    """Whether systemd runs `unit` again: a main process, and not the one killed."""
    return lambda: main_pid(node, unit) not in (0, before)


def _until(ctx: Context, what: str, predicate: Callable[[], bool], timeout: float = BACK_TIMEOUT_S) -> float:
    """Ms from the trial's event until `predicate` holds (noted as an event and an observation)."""
    deadline = time.monotonic() + timeout
    vip = ctx.state.vips[0].address
    while not predicate():
        if time.monotonic() > deadline:
            raise ScenarioError(f"{what}: not within {timeout} s")
        _note_holders(ctx, len(holders(ctx.state)[vip]))
        time.sleep(POLL_S)
    ctx.mark(what)
    since_ms = (ctx.events[-1][0] - ctx.events[0][0]) / 1e6
    ctx.observations[f"{what} (ms)"] = round(since_ms, 1)
    return since_ms


VIP_BACK = "VIP back"
"""The label of the moment the master holds its VIP again: nothing may be lost from it on."""


def _note_holders(ctx: Context, holding: int) -> None:
    key = "most holders of the VIP at once"
    ctx.observations[key] = max(holding, int(ctx.observations.get(key, 0)))  # type: ignore[call-overload]


def _vip_back(ctx: Context) -> None:
    vip = ctx.state.vips[0].address
    _until(ctx, f"{VIP_BACK}: {vip} on {ctx.victim.name}", lambda: holders(ctx.state)[vip] == [ctx.victim.name])


def _kill_unit(unit: str) -> Callable[[Context], None]:
    """SIGKILL to every process of the daemon, as a crash or the OOM killer would; systemd restarts it."""

    def act(ctx: Context) -> None:
        before = main_pid(ctx.victim, unit)
        ctx.sh(ctx.victim, f"pkill -KILL -x {unit}", f"every {unit} process killed (SIGKILL)")
        _until(ctx, f"{unit} restarted by systemd", _restarted(ctx.victim, unit, before))
        _vip_back(ctx)

    return act


def _kill_agent(ctx: Context) -> None:
    """The health agent killed: its metrics withdrawn at once (ExecStopPost), back with it."""
    unit = PATHS.health_unit_name
    before = main_pid(ctx.victim, unit)
    ctx.sh(ctx.victim, f"kill -KILL {before}", "health agent killed (SIGKILL)")
    _until(ctx, "its metrics withdrawn", lambda: not _exists(ctx.victim, PATHS.metrics))
    _until(ctx, "health agent restarted by systemd", _restarted(ctx.victim, unit, before))
    _until(ctx, "its metrics back", lambda: _exists(ctx.victim, PATHS.metrics))


def _exists(node: NodeState, path: str) -> bool:
    return node_sh(node, f"test -e {path}", timeout=5).returncode == 0


def _reboot(ctx: Context) -> None:
    """`systemctl reboot` on the master; exactly one node holds the VIP until it is back and has it."""
    victim, vip = ctx.victim, ctx.state.vips[0].address
    old_init = victim.init_pid
    ctx.sh(victim, "systemctl reboot", f"{victim.name} rebooting (systemctl reboot)")
    deadline = time.monotonic() + BACK_TIMEOUT_S
    watch = HolderWatch(ctx.state)
    while time.monotonic() < deadline:
        held = watch.look()[vip]
        _note_holders(ctx, len(held))
        pid = init_pid(victim.netns)
        if pid and pid != old_init and victim.init_pid == old_init:
            victim.init_pid = pid
            ctx.mark(f"{victim.name} booting again")
        if victim.init_pid != old_init and held == [victim.name]:
            ctx.mark(f"{VIP_BACK}: {vip} on {victim.name}")
            break
        time.sleep(POLL_S)
    else:
        raise ScenarioError(f"{vip} not back on {victim.name} within {BACK_TIMEOUT_S} s of its reboot")
    advert_ms = parse_stack(lab_config(ctx.state.stack, ctx.state.overrides)).vrrp.advert_interval * 1000
    ctx.observations["two holders, longest (ms)"] = round(watch.longest_s * 1000, 1)
    ctx.checks["two holders of the VIP for one advert interval at most"] = watch.longest_s * 1000 <= advert_ms


def booted(ctx: Context) -> None:
    """After a reboot: the host fully up (the next trial's checks reach it)."""
    wait_running(Machine(ctx.victim.name, ctx.victim.netns, ctx.victim.scratch.parent))


HOST_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "nginx-kill",
            "every nginx process on the master killed (SIGKILL); systemd restarts it",
            act=_kill_unit("nginx"),
            restore=lambda ctx: None,
            vip_ends_on="the victim",
            duration_s=6.0,
        ),
        Scenario(
            "keepalived-kill",
            "keepalived on the master killed (SIGKILL): no goodbye advert; systemd restarts it",
            act=_kill_unit("keepalived"),
            restore=lambda ctx: None,
            vip_ends_on="the victim",
            duration_s=6.0,
        ),
        Scenario(
            "agent-kill",
            "the master's health agent killed (SIGKILL); systemd restarts it",
            act=_kill_agent,
            restore=lambda ctx: None,
            zero_loss=True,
            vip_ends_on="the victim",
            duration_s=6.0,
        ),
        Scenario(
            "reboot",
            "the master rebooted (systemctl reboot): it comes back and takes its VIP back",
            act=_reboot,
            restore=booted,
            vip_ends_on="the victim",
            zero_loss_from=VIP_BACK,
            # A booted host here is back in about 7 s, and takes its VIP back after vrrp.preemptDelay.
            duration_s=15.0,
        ),
        LAB_SCENARIOS["link-cut"],
        next(s for s in COLLECTOR_SCENARIOS if s.name == "collector-kill"),
    )
}

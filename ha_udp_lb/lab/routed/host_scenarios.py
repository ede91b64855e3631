"""The routed drills on booted hosts, and the one only such a host can play: a node rebooted. Its health
unit withdraws the VIPs first thing on shutdown (while FRR and the plane still run), so the router has
moved its exporters away before anything stops; after the boot the node announces again by itself."""

from __future__ import annotations

import time
from typing import Any

from ha_udp_lb.runner.stackfile import stack_config

from ..drill.scenario import Context, ScenarioError
from ..hosts.machine import init_pid
from ..hosts.scenarios import booted
from ..hosts.site import without_node
from . import router
from .scenarios import ROUTED_SCENARIOS, RoutedScenario

BACK_TIMEOUT_S = 60
POLL_S = 0.05


def _reboot(ctx: Context) -> None:
    victim, old_init = ctx.victim, ctx.victim.init_pid
    assert ctx.state.router is not None
    vip = ctx.state.vips[0].address
    ctx.sh(victim, "systemctl reboot", f"{victim.name} rebooting (systemctl reboot)")
    deadline = time.monotonic() + BACK_TIMEOUT_S
    while time.monotonic() < deadline:
        pid = init_pid(victim.netns)
        if pid and pid != old_init and victim.init_pid == old_init:
            victim.init_pid = pid
            ctx.mark(f"{victim.name} booting again")
        if victim.init_pid != old_init and victim.address in router.nexthops(ctx.state.router, vip):
            ctx.mark(f"the router sends to {victim.name} again")
            ctx.observations["announced again after (ms)"] = round((ctx.events[-1][0] - ctx.events[0][0]) / 1e6, 1)
            return
        time.sleep(POLL_S)
    raise ScenarioError(f"the router does not send {vip} to {victim.name} within {BACK_TIMEOUT_S} s of its reboot")


REBOOT = RoutedScenario(
    "reboot",
    "lb1 rebooted (systemctl reboot): it withdraws first, loses nothing, and announces again once up",
    "lb1",
    _reboot,
    booted,
    zero_loss=True,
    duration_s=30.0,
)
HOST_DRILLS = [ROUTED_SCENARIOS["plane-lost"], ROUTED_SCENARIOS["drain"], REBOOT]
"""What booted hosts add to the namespace lab's routed drills: systemd's side of a fault, a drain, a reboot."""


def two_nodes(stack_name: str) -> dict[str, Any]:
    """The stack's config with lb1 and lb2 only, each alone on its subnet (lb3 shares lb1's: the
    namespace lab drills that)."""
    return without_node(stack_config(stack_name), "lb3")

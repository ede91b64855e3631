"""The failures a drill plays, each as it would happen to a host: what is done to the victim (the
master of the first VIP), what must hold afterwards, and how the lab is put back."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.synth import synth

from ..host.control import holders, node_sh, set_link, set_vrrp_path
from ..host.state import LAB_DIR, LabState, NodeState, lab_config
from .collectors import COLLECTOR_SCENARIOS
from .link_flap import LINK_FLAP
from .pool_return import POOL_RETURN
from .scenario import Context, Scenario, ScenarioError


def activate(node: NodeState) -> str:
    """The node's own synthesized commands: what Pulumi runs, and what brings a stopped daemon back."""
    return f"sh {node.scratch}/commands.sh"


def _stop_keepalived(ctx: Context) -> None:
    # Until it has exited: keepalived takes a moment to say goodbye, and a start before that finds it running.
    stop = f"p=$(cat {PATHS.keepalived_pid}) && kill -TERM $p && while [ -e /proc/$p ]; do sleep 0.05; done"
    ctx.sh(ctx.victim, stop, "keepalived stopped (SIGTERM)")


def _wait_vip_elsewhere(ctx: Context, timeout: float = 10) -> None:
    vip = ctx.state.vips[0].address
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = holders(ctx.state)[vip]
        if held and ctx.victim.name not in held:
            time.sleep(0.5)
            return
        time.sleep(0.02)
    raise ScenarioError(f"{vip} did not leave {ctx.victim.name} within {timeout} s")


def _leave(ctx: Context) -> None:
    """Before the measured part: the master has stopped and its VIP moved away."""
    _stop_keepalived(ctx)
    _wait_vip_elsewhere(ctx)
    ctx.events.clear()


def _reactivate(ctx: Context) -> None:
    ctx.sh(ctx.victim, activate(ctx.victim), f"{ctx.victim.name} activated (its commands run)")


def _table_back(ctx: Context) -> None:
    """The victim's health agent reloads a flushed table by itself; wait for it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        listed = node_sh(ctx.victim, "nft list tables", timeout=5).stdout
        if f"table inet {PATHS.kernel_table}" in listed:
            return
        time.sleep(0.1)
    raise ScenarioError(f"the kernel table did not come back on {ctx.victim.name} within 15 s")


def _cut_link(ctx: Context) -> None:
    ctx.mark(f"{ctx.victim.name} link cut")
    set_link(ctx.victim, up=False)


def _restore_link(ctx: Context) -> None:
    set_link(ctx.victim, up=True)


def _cut_vrrp_path(ctx: Context) -> None:
    ctx.mark("VRRP path cut")
    set_vrrp_path(ctx.state, cut=True)
    time.sleep(1.0)
    ctx.observations["holders_while_cut"] = holders(ctx.state)
    ctx.mark("VRRP path healed")
    set_vrrp_path(ctx.state, cut=False)


def roll_out(state: LabState, raw: dict[str, Any], run: Callable[[NodeState, str], None]) -> None:
    """A stack config, synthesized by the program, uploaded to every node and applied (`run` runs the
    node's commands) in the program's rollout order: lowest priority first, the master touched last."""
    out = LAB_DIR / "push"
    stack = synth(state.stack, out, config=raw)
    for node in stack.rollout_order():
        lab_node = state.node(node.name)
        shutil.copy(out / "nodes" / node.name / "commands.sh", lab_node.scratch / "commands.sh")
        upload = f"cp -a {out}/nodes/{node.name}/files/. {PATHS.staging}/"
        run(lab_node, f"{upload} && {activate(lab_node)}")


def push_config(ctx: Context, change: bool) -> None:
    """A stack change rolled out as `pulumi up` would, or the lab's own config put back."""
    raw = lab_config(ctx.state.stack, ctx.state.overrides)
    if change:
        # Every node's nginx and keepalived configuration changes; datagrams must not notice.
        raw["pools"][0]["sessionTimeout"] = int(raw["pools"][0].get("sessionTimeout", 60)) + 1
        raw.setdefault("vrrp", {})["garpMasterRefresh"] = 61

    def run(node: NodeState, commands: str) -> None:
        ctx.sh(node, commands, f"config pushed to {node.name}" if change else f"config restored on {node.name}")

    roll_out(ctx.state, raw, run)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "nginx-kill",
            "every nginx process on the master killed (SIGKILL)",
            act=lambda ctx: ctx.sh(ctx.victim, "pkill -KILL -x nginx", "nginx killed (SIGKILL)"),
            restore=_reactivate,
            planes=frozenset({"nginx"}),
        ),
        Scenario(
            "kernel-flush",
            "the kernel plane's table deleted on the master (as a firewall reload would)",
            act=lambda ctx: ctx.sh(ctx.victim, f"nft delete table inet {PATHS.kernel_table}", "kernel table deleted"),
            restore=_table_back,
            # The master faults at once and its health agent loads the table again within a second,
            # so which node holds the VIP afterwards depends on timing; that exactly one does is ours.
            vip_ends_on="any node",
            planes=frozenset({"kernel"}),
        ),
        Scenario(
            "keepalived-kill",
            "keepalived on the master killed (SIGKILL): no goodbye advert",
            act=lambda ctx: ctx.sh(ctx.victim, "pkill -KILL -x keepalived", "keepalived killed (SIGKILL)"),
            restore=_reactivate,
        ),
        Scenario(
            "link-cut",
            "the master's cable pulled (its veth's host end down)",
            act=_cut_link,
            restore=_restore_link,
        ),
        Scenario(
            "keepalived-stop",
            "keepalived on the master stopped cleanly (SIGTERM): it says goodbye",
            act=_stop_keepalived,
            restore=_reactivate,
            zero_loss=True,
        ),
        Scenario(
            "master-return",
            "the old master comes back (its keepalived had been stopped) and takes its VIP back",
            prepare=_leave,
            act=_reactivate,
            restore=lambda ctx: None,
            zero_loss=True,
            vip_ends_on="the victim",
            # Its commands validate and load everything before keepalived starts: with the kernel plane's
            # slot maps (nft -c, then nft -f) that takes about 2.5 s here.
            duration_s=6.0,
        ),
        Scenario(
            "config-push",
            "a stack change synthesized and rolled out to every node (lowest priority first)",
            act=lambda ctx: push_config(ctx, change=True),
            restore=lambda ctx: push_config(ctx, change=False),
            zero_loss=True,
            vip_ends_on="the victim",
        ),
        Scenario(
            "vrrp-cut",
            "VRRP between the nodes cut for 1 s (both claim the VIPs), then healed",
            act=_cut_vrrp_path,
            restore=lambda ctx: set_vrrp_path(ctx.state, cut=False),
            # Which of the two masters stands down is VRRP's business; that exactly one does is ours.
            vip_ends_on="any node",
        ),
        LINK_FLAP,
        *COLLECTOR_SCENARIOS,
        POOL_RETURN,
    )
}

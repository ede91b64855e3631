"""Who holds each VIP, as Prometheus text: held or not (the node's addresses: the truth the exporters
meet), whether this node is the VIP's preferred one, and keepalived's own word on each VRRP instance
(its state and effective priority, from the notify the health script keeps). With `routing: bgp`, held
means announced, and each router's BGP session is up or not (the kernel's TCP connection), and its BFD
session (bfdd's word, asked through vtysh in a thread of its own: a turn never waits for it)."""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import commands, local_address, sessions

BFD_EVERY_NS = 10_000_000_000
"""bfdd tells its sessions' states only through vtysh, a process per look (tens of ms of CPU): every 10 s."""
STATES = ("MASTER", "BACKUP", "FAULT", "STOP")
"""keepalived's states as its notify says them; `unknown` while it has said nothing yet."""


class VipWatch:
    def __init__(self, report: dict[str, Any] | None, every_node_holds: bool, routers: list[str]) -> None:
        report = report or {}
        self.vips: list[dict[str, Any]] = report.get("vips", [])
        self.roles = Path(report.get("roles", "/nonexistent"))
        self.on_lo_too = every_node_holds
        self.routers = routers
        self.held: dict[str, bool] = {}
        self.transitions: dict[str, int] = {}
        self.bfd: dict[str, bool] | None = None
        self.bfd_asked: Future[str | None] | None = None
        self.bfd_at = 0

    def metrics(self) -> str:
        now_held = local_address.held([v["vip"] for v in self.vips], self.on_lo_too) if self.vips else set()
        for vip in (v["vip"] for v in self.vips):
            if vip in self.held and self.held[vip] != (vip in now_held):
                self.transitions[vip] = self.transitions.get(vip, 0) + 1
            self.held[vip] = vip in now_held
        routing = "bgp" if self.on_lo_too else "vrrp"
        lines = [
            "# HELP ha_udp_lb_vip_held 1 while the VIP is this node's (VRRP: on its interface; bgp: announced).",
            "# TYPE ha_udp_lb_vip_held gauge",
            *(
                f'ha_udp_lb_vip_held{{vip="{v["vip"]}",routing="{routing}"}} {int(self.held[v["vip"]])}'
                for v in self.vips
            ),
            "# HELP ha_udp_lb_vip_transitions_total Times the VIP came to or left this node, seen by the agent.",
            "# TYPE ha_udp_lb_vip_transitions_total counter",
            *(
                f'ha_udp_lb_vip_transitions_total{{vip="{v["vip"]}"}} {self.transitions.get(v["vip"], 0)}'
                for v in self.vips
            ),
            "# HELP ha_udp_lb_vip_preferred 1 on the node that should hold the VIP while it is healthy (VRRP).",
            "# TYPE ha_udp_lb_vip_preferred gauge",
            *(f'ha_udp_lb_vip_preferred{{vip="{v["vip"]}"}} {int(v["preferred"])}' for v in self.vips),
        ]
        return "\n".join(lines + self._roles() + self._sessions()) + "\n"

    def _roles(self) -> list[str]:
        instances = [v for v in self.vips if v.get("instance")]
        if not instances:
            return []
        lines = [
            "# HELP ha_udp_lb_vrrp_state 1 for the state keepalived last notified for the VIP's instance.",
            "# TYPE ha_udp_lb_vrrp_state gauge",
        ]
        priorities = []
        for vip in instances:
            state, priority = self._role(vip["instance"])
            labels = f'vip="{vip["vip"]}",instance="{vip["instance"]}"'
            lines += [f'ha_udp_lb_vrrp_state{{{labels},state="{s}"}} {int(s == state)}' for s in (*STATES, "unknown")]
            if priority is not None:
                priorities.append(f"ha_udp_lb_vrrp_priority{{{labels}}} {priority}")
        return [
            *lines,
            "# HELP ha_udp_lb_vrrp_priority The instance's effective priority at keepalived's last notify.",
            "# TYPE ha_udp_lb_vrrp_priority gauge",
            *priorities,
        ]

    def _role(self, instance: str) -> tuple[str, int | None]:
        try:
            state, priority = (self.roles / instance).read_text().split()[:2]
        except (OSError, ValueError):
            return "unknown", None
        return (state if state in STATES else "unknown"), int(priority) if priority.isdigit() else None

    def _sessions(self) -> list[str]:
        if not self.routers:
            return []
        lines = self._bfd()
        try:
            up = sessions.routers_connected(self.routers)
        except OSError:
            return lines  # the kernel would not say: no series rather than a false "down"
        return [
            "# HELP ha_udp_lb_bgp_session_up 1 while this node's BGP session (TCP) to the router is established.",
            "# TYPE ha_udp_lb_bgp_session_up gauge",
            *(f'ha_udp_lb_bgp_session_up{{router="{r}"}} {int(r in up)}' for r in self.routers),
            *lines,
        ]

    def _bfd(self) -> list[str]:
        if self.bfd_asked is not None and self.bfd_asked.done():
            said, self.bfd_asked = self.bfd_asked.result(), None
            self.bfd = bfd_states(said) if said is not None else None
        now = time.monotonic_ns()
        if self.bfd_asked is None and now - self.bfd_at >= BFD_EVERY_NS:
            self.bfd_at = now
            self.bfd_asked = ASKING.submit(commands.output, ["vtysh", "-c", "show bfd peers json"], 5.0)
        if self.bfd is None:
            return []  # bfdd not asked yet, or not answering: no series rather than a false "down"
        return [
            "# HELP ha_udp_lb_bfd_up 1 while bfdd says this node's BFD session with the router is up.",
            "# TYPE ha_udp_lb_bfd_up gauge",
            *(f'ha_udp_lb_bfd_up{{router="{r}"}} {int(self.bfd.get(r, False))}' for r in self.routers),
        ]


ASKING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtysh")


def bfd_states(said: str) -> dict[str, bool]:
    """`vtysh -c 'show bfd peers json'` → peer address → up."""
    try:
        peers = json.loads(said)
    except ValueError:
        return {}
    return (
        {str(p.get("peer")): p.get("status") == "up" for p in peers if isinstance(p, dict)}
        if isinstance(peers, list)
        else {}
    )

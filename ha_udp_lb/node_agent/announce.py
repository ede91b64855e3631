"""With `routing: bgp`, the agent keeps BFD on real-time scheduling and owns the node's announcement of
its VIPs: each VIP is a host route on lo, and FRR announces a VIP only while that route exists (`network`
with import-check). So the VIPs are added only while this node can serve them (its kernel table loaded,
forwarding on, not drained) and deleted within one turn (10 ms) of it no longer can. Kernel state, not
FRR's: it survives FRR restarts, and the teardown finds it. When the node cannot serve at all (not a
drain, where it still forwards what reaches it) its sessions to the routers are reset too: the routers
drop a reset session's routes without waiting for the node's bgpd to send the withdraw
(node_agent.sessions)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import commands, kernel, report, sessions

SETTLE_NS = 500_000_000
"""How long the node must be able to serve before it announces (again): a table reloaded after a flush
does not flap the route at the routers."""
LOOK_EVERY_NS = 10_000_000
"""Each look is a netlink question and two small reads, microseconds: looking often is what makes the
withdraw reach the routers within 100 ms of the plane failing (BENCHMARKS.md, plane-lost)."""
REALTIME_EVERY_NS = 1_000_000_000
REALTIME_PRIORITY = 50
"""SCHED_RR, as keepalived's, so that BFD's packets are not late behind busy work; bfdd alone, as bgpd
and zebra at the same priority would keep it waiting. At 20 ms × 3 on these 2 saturated cores, ten
minutes withdrew live nodes 0 and 5 times without it; with it, the withdrawals left came each time
every session dropped at one moment, when the VM's host stopped both vCPUs for 50-70 ms, which no
priority escapes (bench/bgp.py soak; BENCHMARKS.md). The default is 50 ms × 3."""


class Announcer:
    def __init__(
        self,
        vips: list[str],
        table: str,
        drain_file: str,
        state_file: str,
        forwarding: list[str],
        realtime: list[str],
        routers: list[str],
    ) -> None:
        self.vips = vips
        self.routers = routers
        self.realtime = [Path(path) for path in realtime]
        """Pid files of the daemons to keep on real-time scheduling (bfdd), again whenever their pid changes."""
        self.realtime_pids: dict[Path, int] = {}
        self.realtime_at = 0
        self.table = table
        self.drain_file = Path(drain_file)
        self.state_file = state_file
        self.forwarding = [Path(path) for path in forwarding]
        """/proc/sys files that must read 1: the node forwards what its table rewrites."""
        self.able_since: int | None = None
        self.missing_looks = 0
        self.announced: bool | None = None
        """None until the first turn has set the VIPs one way or the other."""

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> Announcer:
        """With VRRP (no config) one with no VIPs, which does nothing."""
        if not config:
            return cls([], "", "", "", [], [], [])
        keys = ("vips", "table", "drain_file", "state_file", "forwarding", "realtime", "routers")
        return cls(*(config[key] for key in keys))

    def follow(self, now: int) -> int:
        """Announce or withdraw as the node's state says; returns when to look again."""
        if not self.vips:
            return now + 1_000_000_000
        if now - self.realtime_at >= REALTIME_EVERY_NS:
            self.realtime_at = now
            self._keep_realtime()
        fault = self._fault()
        reason = fault or self._drained()
        if reason is None:
            self.able_since = self.able_since if self.able_since is not None else now
        else:
            self.able_since = None
        # At start the plane is as apply left it, loaded: announcing at once keeps a deploy, which
        # restarts the agent, from withdrawing every node in turn. Only a withdrawn node must settle.
        settled = self.announced is not False or (self.able_since is not None and now - self.able_since >= SETTLE_NS)
        wanted = reason is None and settled
        if wanted != self.announced:
            self._set(wanted, reason or "able to serve")
            if self.announced is False and fault:
                self._reset_sessions()
        return now + LOOK_EVERY_NS

    def _keep_realtime(self) -> None:
        for pid_file in self.realtime:
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # not running (yet): watchfrr starts it
            if self.realtime_pids.get(pid_file) == pid:
                continue
            self.realtime_pids[pid_file] = pid
            try:
                os.sched_setscheduler(pid, os.SCHED_RR, os.sched_param(REALTIME_PRIORITY))
                report.log(f"{pid_file.stem} (pid {pid}) on real-time scheduling")
            except OSError as refused:
                report.log(f"{pid_file.stem} (pid {pid}) left at normal scheduling: the host refuses it ({refused})")

    def _fault(self) -> str | None:
        missing = kernel.loaded(self.table) is False
        self.missing_looks = self.missing_looks + 1 if missing else 0
        # As keepalived is told (kernel_plane): one odd answer withdraws nothing; the second, 10 ms later, does.
        if missing and (self.missing_looks >= kernel.MISSING_LOOKS or not self.announced):
            return "the kernel plane's table is missing"
        if any(path.read_text().strip() != "1" for path in self.forwarding):
            return "forwarding is off"
        return None

    def _drained(self) -> str | None:
        return f"drained ({self.drain_file} exists)" if self.drain_file.exists() else None

    def _reset_sessions(self) -> None:
        try:
            count = sessions.abort_bgp_sessions(self.routers)
        except OSError as refused:
            report.log(f"BGP sessions not reset, the withdraw alone tells the routers: {refused}")
            return
        report.log(f"BGP sessions to the routers reset: {count}")

    def _set(self, announce: bool, reason: str) -> None:
        verb = "replace" if announce else "del"
        problems = [commands.run(["ip", "-4", "addr", verb, f"{vip}/32", "dev", "lo"]) for vip in self.vips]
        # Deleting an address that is not there is not a failure to withdraw.
        failed = [p for p in problems if p and not (not announce and "Cannot assign" in p)]
        if failed:
            report.log(f"could not {'announce' if announce else 'withdraw'} the VIPs: {failed[0]}")
            return
        if announce:
            report.write_atomically(self.state_file, "".join(f"{vip}\n" for vip in self.vips))
        self.announced = announce
        report.log(f"VIPs {'announced' if announce else 'withdrawn'}: {reason}")

    def metrics(self) -> str:
        if not self.vips:
            return ""
        value = 1 if self.announced else 0
        return (
            "# HELP ha_udp_lb_announced 1 while this node announces its VIPs over BGP.\n"
            "# TYPE ha_udp_lb_announced gauge\n"
            f"ha_udp_lb_announced {value}\n"
        )

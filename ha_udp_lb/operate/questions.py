"""What `status` and `where` ask each node (one shell command each) and how its answer is read back:
the agent's metrics file twice with the node's clock, and the pool's live table or pool file."""

from __future__ import annotations

import shlex

from ha_udp_lb.core.model import Pool
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render_kernel import kernel_id

from .readings import parse
from .status_view import Look

MARK = "#~ "
STATUS_INTERVAL_S = 2
"""The agent rewrites its metrics each second: two readings 2 s apart give a rate over at least one."""


def status_command() -> str:
    metrics = shlex.quote(PATHS.metrics)
    once = f'cat {metrics}; echo "{MARK}clock $(date +%s.%N)"'
    return f"{once}; sleep {STATUS_INTERVAL_S}; echo '{MARK}again'; {once}"


def read_status(said: str) -> Look:
    first, _, second = said.partition(f"{MARK}again\n")
    (before, then), (after, now) = _with_clock(first), _with_clock(second)
    return Look(parse(before), parse(after), now - then, now)


def _with_clock(part: str) -> tuple[str, float]:
    text, _, clock = part.rpartition(f"{MARK}clock ")
    return text, float(clock.strip() or 0)


def where_command(pool: Pool) -> str:
    metrics = f"cat {shlex.quote(PATHS.metrics)}; echo '{MARK}live'"
    if pool.data_plane == "nginx":
        return f"{metrics}; cat {shlex.quote(PATHS.pool_file(pool))}"
    maps = (f"nft -j list map inet {PATHS.kernel_table} {kernel_id(pool.name)}_{kind}" for kind in ("addrs", "ports"))
    return f"{metrics}; " + f"; echo '{MARK}ports'; ".join(maps)


def read_where(said: str) -> tuple[str, list[str]]:
    """(metrics text, the live parts: [pool file] or [addrs map, ports map])."""
    metrics, _, live = said.partition(f"{MARK}live\n")
    return metrics, live.split(f"{MARK}ports\n")

"""What each node's nginx wrote to its error log during a trial: kept in the trial's report, so that a
loss nobody expected can be read against what the daemon said at the time."""

from __future__ import annotations

from ha_udp_lb.core.paths import PATHS

from ..host.control import node_sh
from ..host.state import LabState

MAX_LINES = 200
"""Per node and trial: enough to read a cause, not so many that a chatty failure swamps the report."""


def sizes(state: LabState) -> dict[str, int]:
    """Per node, the error log's size now: where the trial's lines will start."""
    log = PATHS.nginx_error_log
    return {
        node.name: int(node_sh(node, f"stat -c %s {log} 2>/dev/null || echo 0", timeout=10).stdout.strip() or 0)
        for node in state.nodes
    }


def since(state: LabState, offsets: dict[str, int]) -> dict[str, list[str]]:
    """Per node that wrote any, the lines written after `offsets` (a log rotated meanwhile: all of it)."""
    written = {}
    for node in state.nodes:
        start = offsets.get(node.name, 0)
        read = f"f={PATHS.nginx_error_log}; [ -f $f ] || exit 0; "
        read += f'[ "$(stat -c %s $f)" -ge {start} ] && tail -c +{start + 1} $f || cat $f'
        lines = node_sh(node, read, timeout=10).stdout.splitlines()
        if lines:
            written[node.name] = lines[-MAX_LINES:]
    return written

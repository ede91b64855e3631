"""python3 -m ha_udp_lb.node_agent run CONFIG   probe and act until stopped (the systemd unit, the container, the lab)
python3 -m ha_udp_lb.node_agent mark CONFIG  mark the last known dead collectors in freshly installed pool files
                                   (apply runs it before reloading nginx, so a deploy never revives one)
python3 -m ha_udp_lb.node_agent preseed CONFIG  give every collector the kept exporters' templates (apply runs
                                   it before loading a new table, which may move exporters)"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from . import pools
from .agent import load
from .judge import Verdict, usable
from .kernel_plane import KernelPlane
from .report import load_views
from .settings import pool_configs
from .template_preseed import preseed


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("run", "mark", "preseed"):
        print(__doc__, file=sys.stderr)
        return 2
    command, config_path = argv
    if command == "run":
        # Stopped (systemd, apply, a container's end): unwind, so the agent removes its metrics.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        load(config_path).run()
        return 0
    config = json.loads(Path(config_path).read_text())
    if command == "preseed":
        print(f"ha-udp-lb health: {preseed(config)} template packets given to the collectors before the new table")
        return 0
    views = load_views(config["state"])
    configs = pool_configs(config)
    # The last known verdicts, or every collector healthy (as the new files have them).
    known = {p.name: views.get(p.name) or {b: Verdict(True, 0, "") for b in p.backends} for p in configs}
    sendable = {p.name: usable(known[p.name], p.check.panic_below).backends for p in configs}
    for pool in configs:
        if pool.file:
            path = Path(pool.file)
            path.write_text(pools.mark_down(path.read_text(), set(pool.backends) - sendable[pool.name]))
    # The slot maps were just loaded with every collector healthy (the ruleset file).
    plane = KernelPlane({p.name: p.kernel for p in configs if p.kernel}, config["kernel_down"], sendable)
    problem = plane.apply(plane.changes(sendable, tables={}))
    if problem:
        print(f"ha-udp-lb health: nft refused the last known slots: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

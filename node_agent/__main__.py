"""python3 -m node_agent run CONFIG   probe and act until stopped (the systemd unit, the container, the lab)
python3 -m node_agent mark CONFIG  mark the last known dead collectors in freshly installed pool files
                                   (apply runs it before reloading nginx, so a deploy never revives one)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import pools
from .agent import load
from .judge import usable
from .report import load_views


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("run", "mark"):
        print(__doc__, file=sys.stderr)
        return 2
    command, config_path = argv
    if command == "run":
        load(config_path).run()
        return 0
    config = json.loads(Path(config_path).read_text())
    views = load_views(config["state"])
    for pool in config["pools"]:
        view = views.get(pool["name"])
        if view:
            down = set(view) - usable(view)
            path = Path(pool["file"])
            path.write_text(pools.mark_down(path.read_text(), down))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""A small valid stack config that tests change one key at a time."""

from __future__ import annotations

import copy
from typing import Any

BASE: dict[str, Any] = {
    "target": "docker",
    "nodes": [
        {"name": "lb1", "address": "198.18.0.11/24", "priority": 150},
        {"name": "lb2", "address": "198.18.0.12/24", "priority": 100},
    ],
    "vips": [{"address": "198.18.0.100/24", "vrid": 51}],
    "pools": [
        {"name": "netflow", "vip": "198.18.0.100", "port": 2055, "backends": ["198.18.0.21:2055", "198.18.0.22:2055"]}
    ],
}


def config(**changes: Any) -> dict[str, Any]:
    """BASE with `changes` applied; a key like `nodes__1__priority` reaches into lists and dicts."""
    result = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split("__")]
        target: Any = result
        for part in parents:
            target = target[part]
        target[last] = value
    return result


NGINX_SOURCE_NONE: dict[str, str | bool] = {"dataPlane": "nginx", "source": "none", "mergeExporters": True}
"""Lab overrides for the nginx plane with collectors seeing the node (the default before identity was)."""

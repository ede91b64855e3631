"""Read a stack's config the way Pulumi would: `stacks/Pulumi.<stack>.yaml` (stackConfigDir)."""

from __future__ import annotations

from typing import Any

import yaml

from ha_udp_lb.core.project import PROJECT, REPO

STACKS = REPO / "stacks"


class StackNotFound(FileNotFoundError):
    pass


def stack_config(stack: str) -> dict[str, Any]:
    """`{"nodes": [...], "vips": [...], ...}`: the project's keys without the `ha-udp-lb:` prefix."""
    path = STACKS / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS.glob("Pulumi.*.yaml"))
        raise StackNotFound(f"no stack {stack!r}: {path} does not exist (stacks here: {', '.join(known)})")
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    return {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{PROJECT}:")}

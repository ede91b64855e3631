"""The routed lab's options, which `lab up` and `lab drill` both take: BFD's timers and the router's
daemon instead of the stack's and FRR; refused for a VRRP stack rather than ignored."""

from __future__ import annotations

import argparse
from typing import Any

from ..host.site import LabError
from ..host.state import LabState


def add_routed_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--bfd-ms", type=int, help="routing bgp: BFD's interval instead of the stack's (ms)")
    command.add_argument(
        "--bfd-multiplier", type=int, help="routing bgp: BFD's detect multiplier instead of the stack's"
    )
    command.add_argument(
        "--router",
        choices=["frr", "bird"],
        help="routing bgp: what routes on the lab's router, FRR (the default) or BIRD 2",
    )


def routed_up(args: Any) -> LabState:
    from .site import up

    return up(args.stack, bfd_ms=args.bfd_ms, bfd_multiplier=args.bfd_multiplier, router_daemon=args.router or "frr")


def refuse_routed_options(args: Any) -> None:
    given = [f"--{key.replace('_', '-')}" for key in ("bfd_ms", "bfd_multiplier", "router") if getattr(args, key)]
    if given:
        raise LabError(f"{given[0]}: only for routing bgp stacks; stack {args.stack} runs VRRP")

"""Options more than one lab command takes: the pool keys a run sets in every pool instead of the stack file's."""

from __future__ import annotations

import argparse
from typing import Any

from .host.state import Overrides


def add_overrides(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source",
        choices=["none", "transparent"],
        help="every pool on nginx with this source (none: collectors see the node's address, even on NetFlow pools)",
    )
    command.add_argument(
        "--data-plane",
        choices=["nginx", "kernel"],
        help="every pool's data plane instead of the stack file's (kernel, the default: nftables forwards statelessly)",
    )


def overrides(args: Any) -> Overrides:
    chosen: Overrides = {"dataPlane": args.data_plane} if args.data_plane else {}
    if args.source:
        # source is the nginx plane's; none is the lab's explicit choice to hide the exporters.
        chosen |= {"dataPlane": args.data_plane or "nginx", "source": args.source}
        chosen |= {"mergeExporters": True} if args.source == "none" else {}
    return chosen

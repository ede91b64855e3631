"""Options more than one lab command takes: the pool keys a run sets in every pool instead of the stack file's."""

from __future__ import annotations

import argparse
from typing import Any


def add_overrides(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source",
        choices=["none", "transparent"],
        help="every pool's source instead of the stack file's (transparent: collectors see the exporter's address)",
    )
    command.add_argument(
        "--data-plane",
        choices=["nginx", "kernel"],
        help="every pool's data plane instead of the stack file's (kernel: nftables forwards, statelessly)",
    )


def overrides(args: Any) -> dict[str, str]:
    chosen = {"source": args.source, "dataPlane": args.data_plane}
    return {key: value for key, value in chosen.items() if value is not None}

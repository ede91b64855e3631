"""python -m lab {synth,up,down,status,drill,demo}: run a stack's real daemons on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import ConfigError

from .stackfile import StackNotFound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="write what each node of a stack would receive")
    synth.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    synth.add_argument("--out", required=True, type=Path, help="output directory (replaced)")
    args = parser.parse_args(argv)
    try:
        if args.command == "synth":
            from .synth import synth as run_synth

            stack = run_synth(args.stack, args.out)
            print(f"synth: {len(stack.nodes)} nodes of stack {args.stack} written to {args.out}")
    except (ConfigError, StackNotFound) as error:
        print(f"lab {args.command}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

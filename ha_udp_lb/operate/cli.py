"""`ha-udp-lb status` and `ha-udp-lb where`: a deployed stack as its operator sees it, read over SSH."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path
from typing import Any

from ha_udp_lb.core.project import REPO


def add_commands(commands: Any) -> None:
    status = commands.add_parser(
        "status",
        help="a deployed stack now: VIP holders and roles, collector health, datagrams/s, drops, agents",
        description="Reads every node of the stack over SSH with the stack's sshPrivateKey (from `pulumi "
        "config`, so run it where `pulumi up` runs: logged in, the passphrase set).",
    )
    _common(status)
    status.set_defaults(run=_status)
    where = commands.add_parser(
        "where",
        help="which collector each exporter's datagrams go to now, from the nodes' live tables",
        description="Asks every node: the kernel plane's slot maps or nginx's pool file as the health agent "
        "left them, and the VIP's holder. Over SSH as for `status`.",
    )
    _common(where)
    where.add_argument("--pool", required=True, help="the pool's name in the stack")
    where.add_argument(
        "exporters", nargs="+", type=_address, metavar="EXPORTER", help="an exporter's address, as the node sees it"
    )
    where.add_argument("--json", action="store_true", help="the answer as JSON")
    where.set_defaults(run=_where)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="the Pulumi stack (its config in stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--cwd", type=Path, default=REPO, help="the Pulumi project's directory (default this one)")


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 or IPv6 address, e.g. 192.0.2.7") from None


def _status(args: Any) -> None:
    from .commands import status
    from .reach import over_ssh, stack_and_key

    stack, key = stack_and_key(args.stack, args.cwd)
    with over_ssh(stack, key) as run:
        print(status(args.stack, stack, run), end="")


def _where(args: Any) -> int:
    from .commands import as_json, where, where_text
    from .reach import over_ssh, stack_and_key

    stack, key = stack_and_key(args.stack, args.cwd)
    if args.pool not in {pool.name for pool in stack.pools}:
        print(f"ha-udp-lb where: --pool {args.pool}: the stack's pools are {', '.join(p.name for p in stack.pools)}")
        return 2
    with over_ssh(stack, key) as run:
        try:
            answers = where(stack, args.pool, args.exporters, run)
        except ValueError as refused:
            print(f"ha-udp-lb where: {refused}")
            return 2
    print(as_json(answers) if args.json else "".join(map(where_text, answers)), end="")
    return 0 if all(answer.collector for answer in answers) else 1

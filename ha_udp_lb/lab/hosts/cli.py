"""`ha-udp-lb hosts up|check`: the ssh stack on booted Debian hosts, deployed over SSH by the real
`pulumi up` (toolchain/bin); `ha-udp-lb lab down` removes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..drill.trial import COLLECTOR_EXPORTERS
from .rootfs import SUITES
from .scenarios import HOST_SCENARIOS


def add_commands(commands: Any) -> None:
    parser = commands.add_parser("hosts", help="the ssh stack on booted Debian 12/13 hosts over SSH, drilled")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    up = verbs.add_parser("up", help="boot a host per node, deploy the stack over SSH, leave it up")
    check = verbs.add_parser(
        "check",
        help="boot the hosts, deploy over SSH, drill, destroy, remove them",
        description="Scenarios: " + "; ".join(f"{s.name}: {s.summary}" for s in HOST_SCENARIOS.values()),
    )
    for verb in (up, check):
        verb.add_argument("--stack", default="hosts", help="an ssh stack in the lab's range (default hosts)")
        verb.add_argument("--suite", choices=SUITES, default="bookworm", help="Debian 12 (bookworm) or 13 (trixie)")
    check.add_argument("--scenario", choices=[*HOST_SCENARIOS, "all"], default="all")
    check.add_argument("--trials", type=int, default=1, choices=range(1, 101), metavar="1..100")
    check.add_argument("--out", type=Path, help="where each scenario's drill.json and timeline.png go")
    up.set_defaults(run=_up)
    check.set_defaults(run=_check)


def _up(args: Any) -> None:
    from ..host.site import wait_settled
    from ..host.status import report
    from .site import up

    lab = up(args.stack, args.suite, exporters=4)
    steps = lab.up().ran()
    wait_settled(lab.state)
    print(report(lab.state))
    print(f"\nhosts up: pulumi up took {len(steps)} steps. Remove it all with: ha-udp-lb lab down")


def _check(args: Any) -> int:
    from ..drill.run import drill_line, run
    from ..drill.trial import Settings
    from ..host.site import down, wait_settled
    from .site import up

    names = list(HOST_SCENARIOS) if args.scenario == "all" else [args.scenario]
    print(f"hosts check: booting {args.suite} hosts for stack {args.stack}…", flush=True)
    lab = up(args.stack, args.suite, exporters=COLLECTOR_EXPORTERS)
    passed = True
    try:
        print(f"hosts check: pulumi up took {len(lab.up().ran())} steps", flush=True)
        wait_settled(lab.state)
        for name in names:
            print(f"== {name}: {HOST_SCENARIOS[name].summary}", flush=True)
            out = args.out / name if args.out else None
            report = run(lab.state, HOST_SCENARIOS[name], args.trials, Settings(), out)
            print(drill_line(report))
            passed &= report.passed
        print(f"hosts check: pulumi destroy took {len(lab.destroy().ran())} steps", flush=True)
    finally:
        down()
    return 0 if passed else 1

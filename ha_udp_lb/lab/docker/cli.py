"""`ha-udp-lb docker check|down`: the docker stack on a real Docker engine, without Pulumi."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..options import add_overrides, overrides
from .scenarios import DOCKER_SCENARIOS


def add_commands(commands: Any) -> None:
    parser = commands.add_parser("docker", help="the docker stack's containers on a real engine, drilled")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    check = verbs.add_parser(
        "check",
        help="build the image, create the stack's containers as the program declares them, drill them, remove them",
        description="Scenarios: " + "; ".join(f"{s.name}: {s.summary}" for s in DOCKER_SCENARIOS.values()),
    )
    check.add_argument("--stack", default="dev", help="a docker stack (default dev)")
    check.add_argument("--scenario", choices=[*DOCKER_SCENARIOS, "all"], default="all")
    check.add_argument("--trials", type=int, default=1, choices=range(1, 101), metavar="1..100")
    check.add_argument("--out", type=Path, help="where each scenario's drill.json and timeline.png go")
    add_overrides(check)
    check.set_defaults(run=_check)
    down = verbs.add_parser("down", help="remove what an interrupted check left (only what carries its label)")
    down.set_defaults(run=_down)


def _check(args: Any) -> int:
    from ..drill.run import drill_line, run
    from ..drill.trial import Settings
    from ..host.state import plane_of
    from .engine import engine, kernel_default_namespaces
    from .site import down, up

    plane = plane_of(args.stack, overrides(args))
    names = [n for n, s in DOCKER_SCENARIOS.items() if plane in s.planes] if args.scenario == "all" else [args.scenario]
    passed = True
    with engine(), kernel_default_namespaces():
        print(f"docker check: building the image and starting stack {args.stack}'s containers…", flush=True)
        state = up(args.stack, overrides=overrides(args), say=print)
        try:
            for name in names:
                print(f"== {name}: {DOCKER_SCENARIOS[name].summary}", flush=True)
                out = args.out / name if args.out else None
                report = run(state, DOCKER_SCENARIOS[name], args.trials, Settings(), out)
                print(drill_line(report))
                passed &= report.passed
        finally:
            down()
    return 0 if passed else 1


def _down(args: Any) -> None:
    from .engine import running
    from .site import down

    if not running():
        print("docker down: no Docker engine is running; nothing of the check can be left in one")
        return
    removed = down()
    print(f"docker down: removed {len(removed)} containers, networks, namespaces and links")

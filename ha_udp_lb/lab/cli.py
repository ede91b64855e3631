"""ha-udp-lb: see what a stack would deploy (synth), run it on the real daemons in network namespaces
on this machine (lab), or as the docker target's containers on a real engine (docker), and drill its
failovers. `python -m ha_udp_lb.lab` is the same command."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from ha_udp_lb.core.errors import ConfigError
from ha_udp_lb.runner.stackfile import StackNotFound
from ha_udp_lb.runner.synth import OutputNotOurs

from .drill.trial import COLLECTOR_EXPORTERS
from .host.collectors import KINDS
from .host.state import LabNotUp
from .options import add_overrides, overrides
from .routed.options import add_routed_options, refuse_routed_options, routed_up

DEMO_SCENARIO = "link-cut"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # `kill` (or CI's timeout) cleans up like Ctrl-C does; and Ctrl-C does even when started in the
    # background of a shell, which hands its children SIGINT ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return int(args.run(args) or 0)
    except (ConfigError, StackNotFound, LabNotUp, OutputNotOurs) as error:
        print(f"ha-udp-lb {_verb(args)}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ha-udp-lb {_verb(args)}: interrupted", file=sys.stderr)
        return 130
    except RuntimeError as error:  # LabError, ScenarioError: what went wrong on the daemons' side
        print(f"ha-udp-lb {_verb(args)}: {error}", file=sys.stderr)
        return 1


def _verb(args: Any) -> str:
    return " ".join(part for part in (args.command, getattr(args, "verb", None)) if part)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    from ha_udp_lb.operate.cli import add_commands as add_operate_commands

    from .docker.cli import add_commands as add_docker_commands
    from .hosts.cli import add_commands as add_hosts_commands

    parser = argparse.ArgumentParser(prog="ha-udp-lb", description=__doc__)
    groups = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    synth = groups.add_parser("synth", help="write what each node of a stack would receive")
    synth.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    synth.add_argument(
        "--out", required=True, type=Path, help="output directory: new, empty, or an earlier synth output (replaced)"
    )
    synth.set_defaults(run=_synth)
    lab = groups.add_parser("lab", help="a stack's nodes, collectors and exporters in namespaces here, drilled")
    verbs = lab.add_subparsers(dest="verb", required=True, metavar="VERB")
    _add_up(verbs)
    verbs.add_parser("down", help="remove every namespace, process and file the lab made").set_defaults(run=_down)
    verbs.add_parser("status", help="VIP holders, daemons and per-pool counters").set_defaults(run=_status)
    _add_drill(verbs)
    demo = verbs.add_parser("demo", help="up the dev stack, drill one failover, print the result, down")
    demo.set_defaults(run=_demo)
    add_docker_commands(groups)
    add_hosts_commands(groups)
    add_operate_commands(groups)
    return parser


def _add_up(verbs: Any) -> None:
    up = verbs.add_parser("up", help="build the stack's nodes, collectors and exporters here")
    up.add_argument("--stack", required=True)
    up.add_argument(
        "--exporters", type=int, default=4, choices=range(1, 121), metavar="1..120", help="each with its own address"
    )
    up.add_argument(
        "--collector",
        action="append",
        default=[],
        type=_pool_collector,
        metavar="POOL=KIND",
        help=f"run a real collector on this pool's backends instead of the recording sink: {', '.join(KINDS)}"
        " (repeatable)",
    )
    up.add_argument(
        "--files",
        type=Path,
        metavar="DIR",
        help="run hand-written node files instead of the program's (DIR/nodes/<node>/files, commands.sh)",
    )
    add_routed_options(up)
    add_overrides(up)
    up.set_defaults(run=_up)


def _pool_collector(text: str) -> tuple[str, str]:
    pool, _, kind = text.partition("=")
    if not pool or kind not in KINDS:
        raise argparse.ArgumentTypeError(f"{text!r}: give POOL=KIND, KIND one of {', '.join(KINDS)}")
    return pool, kind


def _add_drill(verbs: Any) -> None:
    from .drill.scenarios import SCENARIOS
    from .routed.scenarios import ROUTED_SCENARIOS

    drill = verbs.add_parser(
        "drill",
        help="send sequenced datagrams through every pool while a failure happens",
        description="Scenarios: "
        + "; ".join(f"{s.name}: {s.summary}" for s in SCENARIOS.values())
        + ". With routing bgp: "
        + "; ".join(f"{s.name}: {s.summary}" for s in ROUTED_SCENARIOS.values()),
    )
    drill.add_argument("--stack", required=True)
    drill.add_argument("--scenario", required=True, choices=sorted({*SCENARIOS, *ROUTED_SCENARIOS, "all"}))
    add_routed_options(drill)
    drill.add_argument("--trials", type=int, default=1, choices=range(1, 101), metavar="1..100")
    drill.add_argument("--rate", type=float, default=200.0, help="datagrams/s per exporter per pool (default 200)")
    drill.add_argument("--duration", type=float, default=4.0, help="seconds of traffic per trial (default 4)")
    drill.add_argument("--out", type=Path, help="where drill.json and timeline.png go (default out/drills/…)")
    drill.add_argument("--files", type=Path, metavar="DIR", help="as for `up`, when the drill brings the lab up")
    add_overrides(drill)
    drill.set_defaults(run=_drill)


def _synth(args: Any) -> None:
    from ha_udp_lb.runner.synth import synth

    stack = synth(args.stack, args.out)
    print(f"synth: {len(stack.nodes)} nodes of stack {args.stack} written to {args.out}")


def _up(args: Any) -> None:
    from .host.site import up
    from .host.status import report

    if _routing(args.stack) == "bgp":
        state = routed_up(args)
        print(report(state))
        print(f"\nnext: ha-udp-lb lab drill --stack {args.stack} --scenario node-kill   |   ha-udp-lb lab down")
        return

    refuse_routed_options(args)
    state = up(
        args.stack,
        exporters=args.exporters,
        collectors=dict(args.collector),
        bundle=args.files,
        overrides=overrides(args),
    )
    print(report(state))
    print(f"\nnext: ha-udp-lb lab drill --stack {args.stack} --scenario link-cut   |   ha-udp-lb lab down")


def _down(args: Any) -> None:
    from .host.site import down

    removed = down()
    print(f"down: removed {len(removed)} namespaces and links" if removed else "down: nothing of the lab was left")


def _status(args: Any) -> None:
    from .host.state import load_state
    from .host.status import report

    print(report(load_state()))


def _routing(stack: str) -> str:
    from ha_udp_lb.runner.stackfile import stack_config

    return str(stack_config(stack).get("routing", "vrrp"))


def _routed_drill(args: Any) -> int:
    from .host.site import LabError
    from .host.state import STATE_FILE, load_state
    from .routed.run import drill_line, run
    from .routed.scenarios import ROUTED_SCENARIOS

    names = list(ROUTED_SCENARIOS) if args.scenario == "all" else [args.scenario]
    unknown = [name for name in names if name not in ROUTED_SCENARIOS]
    if unknown:
        raise LabError(f"--scenario {unknown[0]}: with routing bgp, use one of {sorted(ROUTED_SCENARIOS)} or all")
    owned = not STATE_FILE.exists()
    state = routed_up(args) if owned else load_state()

    def one(name: str, out: Path | None) -> bool:
        summary = run(state, ROUTED_SCENARIOS[name], args.trials, args.rate, out)
        print(drill_line(summary))
        return bool(summary["passed"])

    return _each_scenario(args, state, owned, {n: s.summary for n, s in ROUTED_SCENARIOS.items()}, names, one)


def _each_scenario(
    args: Any,
    state: Any,
    owned: bool,
    summaries: dict[str, str],
    names: list[str],
    one: Callable[[str, Path | None], bool],
) -> int:
    """`one` drill per scenario name on the lab that is up; the lab taken down after if this command brought it up."""
    from .host.site import LabError, down

    try:
        if state.stack != args.stack:
            raise LabError(f"the lab is up with stack {state.stack!r}, not {args.stack!r}: `ha-udp-lb lab down` first")
        passed = True
        for name in names:
            print(f"== {name}: {summaries[name]}")
            passed &= one(name, args.out / name if args.out and len(names) > 1 else args.out)
        return 0 if passed else 1
    finally:
        if owned:
            down()


def _drill(args: Any) -> int:
    if _routing(args.stack) == "bgp":
        return _routed_drill(args)
    from .drill.run import drill_line, run
    from .drill.scenarios import SCENARIOS
    from .drill.trial import Settings
    from .host.site import LabError, up
    from .host.state import STATE_FILE, load_state, plane_of

    if args.scenario not in (*SCENARIOS, "all"):
        raise LabError(f"--scenario {args.scenario} is a routing bgp drill; stack {args.stack} runs VRRP")
    refuse_routed_options(args)
    settings = Settings(rate=args.rate, duration_s=args.duration)
    owned = not STATE_FILE.exists()
    plane = plane_of(args.stack, overrides(args)) if owned else load_state().data_plane
    names = [n for n, s in SCENARIOS.items() if plane in s.planes] if args.scenario == "all" else [args.scenario]
    # Collector scenarios need enough exporters that at least 32 share the collector they lose.
    exporters = COLLECTOR_EXPORTERS if any(SCENARIOS[name].collector for name in names) else 4
    chosen = overrides(args)
    state = up(args.stack, exporters=exporters, bundle=args.files, overrides=chosen) if owned else load_state()

    def one(name: str, out: Path | None) -> bool:
        report = run(state, SCENARIOS[name], args.trials, settings, out)
        print(drill_line(report))
        return report.passed

    return _each_scenario(args, state, owned, {n: s.summary for n, s in SCENARIOS.items()}, names, one)


def _demo(args: Any) -> int:
    from .drill.run import run
    from .drill.scenarios import SCENARIOS
    from .drill.trial import Settings
    from .host.site import down, up

    print("demo: bringing the dev stack up in network namespaces (real keepalived and nginx)…")
    state = up("dev")
    try:
        vip = state.vips[0]
        print(
            f"demo: {vip.address} is held by {vip.preferred}; pulling its cable while "
            f"{len(state.exporters)} exporters send to {len(state.pools)} pools"
        )
        report = run(state, SCENARIOS[DEMO_SCENARIO], 1, Settings())
        trial = report.trials[0]
        print(f"demo: VIP {vip.address} now on {'+'.join(trial.holders_after[vip.address])}")
        print(
            f"demo: blackout {trial.blackout_ms} ms ({trial.lost} of {trial.sent} datagrams lost); "
            f"every exporter kept its collector: {trial.kept_collector_pct == 100}"
        )
        print(f"demo: timeline {report.timeline}")
        return 0 if report.passed else 1
    finally:
        down()
        print("demo: lab removed")

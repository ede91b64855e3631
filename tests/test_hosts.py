"""The ssh target on real hosts: Debian 12 and 13 booted with systemd, reached over SSH, deployed by
the real Pulumi engine (`pulumi up`/`destroy`, runner.engine) through a whole lifecycle — hosts showing
other keys than pinned (nothing sent), first deploy, nothing changed, a collector added under traffic,
an `up` that fails half-way and the one after it, a node added, a node removed, destroy — each step
checked on the hosts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.scenario import Context, Scenario
from ha_udp_lb.lab.host.control import holders, keepalived_scheduling, node_sh, ssh_drops, ssh_logins, unit_states
from ha_udp_lb.lab.host.site import down, wait_settled
from ha_udp_lb.lab.host.state import NodeState, lab_config
from ha_udp_lb.lab.hosts import site
from ha_udp_lb.lab.hosts.site import HostsLab, without_node
from ha_udp_lb.runner.engine import RAN, STACK_REFERENCE, Result
from ha_udp_lb.runner.stackfile import stack_config
from tests.hosts_checks import (
    arp_probe,
    mac_of,
    ours_on,
    probe_answers,
    trial,
    watch_holders,
    watching_holders,
)
from tests.hosts_operate import operated_over_ssh
from tests.hosts_trust import wrong_host_key

pytestmark = pytest.mark.hosts

SUITES = ["bookworm", "trixie"]
UNITS = ["keepalived", "nginx", PATHS.health_unit_name, PATHS.watch_unit_name, PATHS.loopback_unit_name]
WATCH_S = 3.0
"""Long enough for a node still running VRRP to claim a VIP (3 adverts + skew, ~0.1 s) many times."""
ARP_WATCH_S = 15.0


@pytest.fixture(params=SUITES)
def hosts(request: pytest.FixtureRequest) -> Iterator[HostsLab]:
    down()
    lab = site.up("hosts", request.param, exporters=4)
    try:
        yield lab
    finally:
        down()


def test_a_whole_lifecycle_on_booted_hosts_over_ssh(hosts: HostsLab) -> None:
    untouched = {n.name: ours_on(n) for n in hosts.state.nodes}
    assert all(not left for left in untouched.values()), untouched
    OUTPUTS.append(wrong_host_key(hosts, two_nodes(collectors=2)))
    first_deploy(hosts)
    if hosts.suite == SUITES[0]:  # once: their ssh client is this machine's, each sshd is the lifecycle's
        OUTPUTS.append(operated_over_ssh(hosts))
    nothing_changed(hosts)
    collector_added(hosts)
    failed_half_way(hosts)
    node_added(hosts)
    renamed(hosts)
    staging_replaced(hosts)
    node_removed(hosts, "lb2")
    destroyed(hosts)
    secrets_kept(hosts)


def first_deploy(lab: HostsLab) -> None:
    result = lab.up(two_nodes(collectors=2))
    OUTPUTS.append(result.output)
    assert applies(result) == ["create lb2-apply", "create lb1-apply"]
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}
    for name in ("lb1", "lb2"):
        assert units(lab.state.node(name)) == {unit: "active enabled" for unit in UNITS}
        assert keepalived_scheduling(lab.state.node(name)) == ["SCHED_RR", "SCHED_RR"], name
        node = lab.state.node(name)
        logins = ssh_logins(node)
        print(f"{name}: first up opened {logins} SSH connections, sshd dropped {ssh_drops(node)}")
        assert logins > 0, f"{name}'s journal shows no SSH login: the no-op check below would be blind"


def nothing_changed(lab: HostsLab) -> None:
    """The engine finds nothing to do, and no host sees a connection."""
    before = {n.name: ssh_logins(n) for n in lab.state.nodes[:2]}
    result = lab.up(two_nodes(collectors=2))
    OUTPUTS.append(result.output)
    assert result.ran() == [], "a second deploy with nothing changed ran steps"
    assert {n.name: ssh_logins(n) for n in lab.state.nodes[:2]} == before, "a host was contacted"


def collector_added(lab: HostsLab) -> None:
    """Under traffic: nothing lost, only changed uploads and the activations ran, backups first."""
    steps: list[Result] = []

    def deploy(ctx: Context) -> None:
        ctx.mark("pulumi up")
        steps.append(lab.up(two_nodes(collectors=3)))

    rollout = Scenario(
        "collector-added",
        "a collector added to every pool and rolled out over SSH",
        act=deploy,
        restore=lambda ctx: None,
        zero_loss=True,
        vip_ends_on="the victim",
        collector="pool",  # exporters may move to the new collector: that is the change
        duration_s=25,
    )
    report = trial(lab.state, rollout)
    (result,) = steps
    changed = [s for s in result.steps if s.op in RAN]
    assert changed and all(s.type.endswith("CopyToRemote") or s.name.endswith("-apply") for s in changed), changed
    assert applies(result) == [
        "create-replacement lb2-apply",
        "create-replacement lb1-apply",
        "delete-replaced lb1-apply",
        "delete-replaced lb2-apply",
    ]
    assert report.sent > 0 and report.lost == 0, report.checks
    assert all(report.checks.values()), report.checks


def failed_half_way(lab: HostsLab) -> None:
    """lb1's apply fails (its keepalived gone): lb2, first, has the change; lb1 keeps serving what it
    had. The next `up`, the host mended, runs only what did not finish: lb1's activation, and the
    deletes the failed `up` left pending (replaced uploads and activations, which run nothing)."""
    lb1 = lab.state.node("lb1")
    node_sh(lb1, "mv /usr/sbin/keepalived /usr/sbin/keepalived.away")
    try:
        failed = lab.up(two_nodes(collectors=2), check=False)
    finally:
        node_sh(lb1, "mv /usr/sbin/keepalived.away /usr/sbin/keepalived")
    OUTPUTS.append(failed.output)
    assert failed.failed, "an up whose apply failed on lb1 succeeded"
    assert applies(failed)[:2] == ["create-replacement lb2-apply", "create-replacement lb1-apply"], failed.ran()
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}
    assert "198.18.0.23" not in node_sh(lab.state.node("lb2"), f"cat {PATHS.kernel_ruleset}").stdout
    assert "198.18.0.23" in node_sh(lb1, f"cat {PATHS.kernel_ruleset}").stdout, "lb1 changed though its apply failed"
    mended = lab.up(two_nodes(collectors=2))
    OUTPUTS.append(mended.output)
    assert [step for step in mended.ran() if not step.startswith("delete-replaced ")] == [
        "create-replacement lb1-apply"
    ], mended.ran()
    assert "delete-replaced lb2-apply" in mended.ran(), "the failed up's pending deletes were lost"
    assert "198.18.0.23" not in node_sh(lb1, f"cat {PATHS.kernel_ruleset}").stdout
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}


def node_added(lab: HostsLab) -> None:
    result = lab.up(stack_config("hosts"))
    OUTPUTS.append(result.output)
    assert "create lb3-install" in result.ran()
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}
    assert units(lab.state.node("lb3")) == {unit: "active enabled" for unit in UNITS}
    peers = node_sh(lab.state.node("lb1"), f"grep -c 198.18.0.13 {PATHS.keepalived_conf}").stdout.strip()
    assert peers not in ("", "0"), "lb1 does not list the new node as a VRRP peer"


def renamed(lab: HostsLab) -> None:
    """Every node's SshHost renamed, its old name given as an alias, as a refactoring would: the engine
    carries the alias to every step under it (their names start with the component's), so nothing is
    created, replaced or deleted and no host is contacted."""
    assert lab.engine is not None
    variant = lab.engine.home / "renamed"
    variant.mkdir(exist_ok=True)
    program = (REPO / "__main__.py").read_text()
    old = 'SshHost(node.name, {"node": node, "private_key": private_key, "routing": stack.routing})'
    new = (
        'SshHost(f"{node.name}-host", {"node": node, "private_key": private_key, "routing": stack.routing}, '
        "pulumi.ResourceOptions(aliases=[pulumi.Alias(name=node.name)]))"
    )
    assert old in program, "__main__.py no longer builds SshHost as this test renames it"
    (variant / "__main__.py").write_text(program.replace(old, new))
    before = {n.name: ssh_logins(n) for n in lab.state.nodes}
    lab.engine.use_program(variant)
    try:
        result = lab.up(stack_config("hosts"))
    finally:
        lab.engine.use_program(REPO)
    OUTPUTS.append(result.output)
    assert result.ran() == [], result.ran()
    assert {s.name for s in result.steps if s.type == "ha-udp-lb:index:SshHost"} == {"lb1-host", "lb2-host", "lb3-host"}
    assert {n.name: ssh_logins(n) for n in lab.state.nodes} == before, "a host was contacted"
    back = lab.up(stack_config("hosts"))  # and back, the alias gone: renamed again, still no teardown
    OUTPUTS.append(back.output)
    print(f"renamed back without the alias: {len(back.ran())} steps, {sum('staging' in s for s in back.ran())} staging")
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}
    assert all(units(n) == {unit: "active enabled" for unit in UNITS} for n in lab.state.nodes), back.ran()


def staging_replaced(lab: HostsLab) -> None:
    """`pulumi up --replace` of the master's staging step (as a rename or re-parenting replaces it): the
    engine creates the new one, then runs the old one's delete, the node's teardown, which leaves the
    node to the new one. Nothing of lb1 stops and it keeps its VIP."""
    lb1 = lab.state.node("lb1")
    result = lab.up(stack_config("hosts"), f"--replace={lab.urn('lb1-staging')}")
    OUTPUTS.append(result.output)
    assert result.ran() == ["create-replacement lb1-staging", "delete-replaced lb1-staging"], result.ran()
    watch_holders(lab.state, "nobody", WATCH_S)
    assert wait_settled(lab.state) == {"198.18.0.100": ["lb1"], "198.18.0.101": ["lb2"]}
    assert units(lb1) == {unit: "active enabled" for unit in UNITS}
    assert node_sh(lb1, f"cat {PATHS.owners}").stdout == "1\n"


def node_removed(lab: HostsLab, leaving: str) -> None:
    """Dropped from the stack in one `pulumi up` while exporters send: the program tears it down before
    any node that stays changes (its leave step), so no VIP is ever held by two nodes for longer than a
    handover and nothing is lost; it never answers ARP for a VIP again and keeps nothing of ours. The
    next `up` forgets the leave step, running nothing on any host."""
    node = lab.state.node(leaving)
    steps: list[Result] = []

    def deploy(ctx: Context) -> None:
        ctx.mark("pulumi up")
        steps.append(lab.up(without_node(stack_config("hosts"), leaving)))

    removal = Scenario(
        "node-removed",
        "a node dropped from the stack in one pulumi up",
        act=deploy,
        restore=lambda ctx: None,
        zero_loss=True,
        vip_ends_on="the victim",
        # The pool changed twice before in this lifecycle, and nginx keeps an exporter on the collector its
        # session started with until the session ends: the reload here may move such an exporter to
        # where the hash puts it now (from a fresh deployment, bench/node_drop.py: none moves).
        collector="pool",
        duration_s=25,
    )
    with watching_holders(lab.state) as watch:
        report = trial(lab.state, removal)
    advert_s = parse_stack(lab_config(lab.state.stack, lab.state.overrides)).vrrp.advert_interval
    assert watch.longest_s <= advert_s, f"two holders of a VIP for {watch.longest_s:.3f} s"
    assert report.sent > 0 and report.lost == 0 and all(report.checks.values()), report.checks
    (result,) = steps
    ran = result.ran()
    assert ran.index(f"create {leaving}-leave") < min(i for i, s in enumerate(ran) if s.endswith("-apply")), ran
    probe = arp_probe(lab.state, seconds=ARP_WATCH_S)
    watch_holders(lab.state, leaving, WATCH_S)
    assert mac_of(node) not in probe_answers(probe), f"{leaving} answered ARP for a VIP after its teardown"
    assert not ours_on(node), ours_on(node)
    assert units(node) == GONE
    assert f"delete {leaving}-staging" in ran
    after = lab.up(without_node(stack_config("hosts"), leaving))
    assert after.ran() == [f"delete {leaving}-leave"], after.ran()


def destroyed(lab: HostsLab) -> None:
    result = lab.destroy()
    OUTPUTS.append(result.output)
    # What was read, the stack's own last outputs, is discarded, never deleted.
    assert {(s.op, s.type == STACK_REFERENCE) for s in result.steps} == {("delete", False), ("discard", True)}
    for node in lab.state.nodes:
        assert not ours_on(node), f"{node.name} keeps {ours_on(node)}"
        assert units(node) == GONE
    assert all(not nodes for nodes in holders(lab.state).values()), holders(lab.state)


def two_nodes(collectors: int) -> dict[str, Any]:
    config = without_node(stack_config("hosts"), "lb3")
    for pool in config["pools"]:
        pool["backends"] = pool["backends"][:collectors]
    return config


def secrets_kept(lab: HostsLab) -> None:
    """The lab's private key, set with `pulumi config set --secret`, is in no state, engine output or
    plain output: the checkpoint of every deployment the backend keeps included."""
    assert lab.engine is not None
    key_body = lab.private_key.strip().splitlines()[1]
    stored = [p for p in lab.engine.home.joinpath("state").rglob("*") if p.is_file()]
    assert stored, "the file backend holds nothing"
    leaks = [str(p) for p in stored if key_body in p.read_text(errors="replace")]
    leaks += [f"engine output {i}" for i, text in enumerate(OUTPUTS) if key_body in text]
    assert not leaks, leaks


OUTPUTS: list[str] = []
"""Everything the engine printed in the lifecycle (the secrets check reads it)."""


def applies(result: Result) -> list[str]:
    return [step for step in result.ran() if step.endswith("-apply")]


def units(node: NodeState) -> dict[str, str]:
    return unit_states(node, UNITS)


GONE = {unit: "inactive disabled" if unit in ("keepalived", "nginx") else "inactive absent" for unit in UNITS}
"""After a node's teardown: the distribution's daemons stopped and disabled, our units gone."""

"""The lab with real hosts: every node of an ssh stack a booted Debian host in its node namespace, its
eth0 on the lab bridge beside the collectors and exporters, its mgmt0 on a management bridge where
SSH and the apt proxy are; the program deployed to them by the real Pulumi engine (`pulumi up`,
`pulumi destroy`: runner.engine). `ha-udp-lb lab down` removes all of it, whatever state it is in."""

from __future__ import annotations

import copy
import shutil
import subprocess
from dataclasses import dataclass, field
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.runner.engine import Result, Workspace
from ha_udp_lb.runner.stackfile import stack_config

from ..host import netns
from ..host import site as lab_site
from ..host.site import BRIDGE, LabError, around_nodes, check_addresses
from ..host.state import LAB_DIR, STATE_FILE, LabState, NodeState, save_state
from ..host.sweep import PIDS
from . import apt_proxy
from .machine import Login, Machine, boot
from .rootfs import cached_root

MGMT_BRIDGE = f"{netns.PREFIX}-mgmt"
MGMT = ip_interface("198.19.0.1/24")
"""The lab's side of the management network: the stack's `ssh.host` addresses are on it."""
HOME = LAB_DIR / "hosts"


@dataclass
class HostsLab:
    stack: str
    suite: str
    state: LabState
    """The lab as the drills see it: nodes (the booted hosts), collectors, exporters, VIPs."""
    machines: dict[str, Machine]
    private_key: str = field(repr=False)
    engine: Workspace | None = None
    """The Pulumi workspace of the lab's stack, made by the first `up`."""

    def up(self, config: dict[str, Any] | None = None, *flags: str, check: bool = True) -> Result:
        """`pulumi up` with `config` (the stack file's by default) as the stack's file: the steps. Each
        node's host key is pinned (`ssh.hostKey`, as its operator would from `ssh-keyscan`) unless
        `config` pins one of its own."""
        raw = copy.deepcopy(stack_config(self.stack) if config is None else config)
        for node in raw["nodes"]:
            if node["name"] in self.machines:
                node["ssh"].setdefault("hostKey", self.machines[node["name"]].host_key)
        if self.engine is None:
            shutil.rmtree(HOME / "engine", ignore_errors=True)
            self.engine = Workspace(HOME / "engine")
            self.engine.init(self.stack, raw, {"sshPrivateKey": self.private_key})
        else:
            self.engine.configure(self.stack, raw)
        return self.engine.up(self.stack, *flags, check=check)

    def destroy(self, targets: set[str] | None = None) -> Result:
        """`pulumi destroy` (with `targets`, URNs: `--target … --target-dependents`)."""
        assert self.engine is not None, "nothing deployed"
        flags = [f"--target={urn}" for urn in sorted(targets or ())]
        return self.engine.destroy(self.stack, *flags, *(["--target-dependents"] if targets else []))

    def urn(self, name: str) -> str:
        """The URN of the deployed resource named `name`."""
        assert self.engine is not None, "nothing deployed"
        resources = self.engine.state(self.stack)["deployment"].get("resources") or []
        return next(str(r["urn"]) for r in resources if r["urn"].rsplit("::", 1)[1] == name)


def without_node(config: dict[str, Any], leaving: str) -> dict[str, Any]:
    """The stack config with node `leaving` taken out; the VIPs it preferred go to the last node left."""
    config = copy.deepcopy(config)
    config["nodes"] = [n for n in config["nodes"] if n["name"] != leaving]
    for vip in config["vips"]:
        if vip.get("preferred") == leaving:
            vip["preferred"] = config["nodes"][-1]["name"]
    return config


def up(stack_name: str, suite: str, exporters: int = 4) -> HostsLab:
    """Boot a host for every node of `stack_name` (an ssh stack in the lab's range), put collectors
    and exporters beside them; nothing deployed yet. On any failure all of it is removed."""
    if STATE_FILE.exists() or netns.lab_namespaces():
        raise LabError("a lab is already up: run `ha-udp-lb lab down` first")
    stack = parse_stack(stack_config(stack_name))
    check_ssh(stack, stack_name)
    subnet = check_addresses(stack)
    try:
        provision = provide(suite)
        netns.add_bridge(BRIDGE)
        machines, nodes = {}, []
        for node in stack.nodes:
            machine, node_state = boot_node(node, provision, BRIDGE)
            machines[node.name] = machine
            nodes.append(node_state)
        state = around_nodes(stack_name, stack, subnet, nodes, BRIDGE, exporters)
        save_state(state)
        return HostsLab(stack_name, suite, state, machines, provision.private_key)
    except BaseException:
        lab_site.down()
        raise


def check_ssh(stack: Stack, stack_name: str) -> None:
    if stack.target != "ssh":
        raise LabError(f"stack {stack_name} has target {stack.target!r}; real hosts run ssh stacks (hosts)")


@dataclass(frozen=True)
class Provision:
    """What every booted host of a lab starts from: the suite's root, the apt proxy, the lab's key."""

    lower: Path
    apt_proxy: str
    private_key: str = field(repr=False)
    public_key: str


def provide(suite: str) -> Provision:
    """The suite's root (cached), the management bridge with the apt proxy on it, a key for root."""
    lower = cached_root(suite)
    netns.add_bridge(MGMT_BRIDGE)
    netns.ip("addr", "add", str(MGMT), "dev", MGMT_BRIDGE)
    proxy = apt_proxy.start(str(MGMT.ip), PIDS / "apt-proxy.pid")
    private_key, public_key = _key_pair()
    return Provision(lower, proxy, private_key, public_key)


def boot_node(node: Node, provision: Provision, bridge: str, gateway: str | None = None) -> tuple[Machine, NodeState]:
    """`node` as a booted host in its namespace: its interface on `bridge` (its default route via
    `gateway`), mgmt0 on the management bridge at its `ssh.host`."""
    assert node.ssh is not None  # the model requires it for target ssh
    machine = Machine(name=node.name, netns=f"{netns.PREFIX}-{node.name}", home=HOME / node.name)
    netns.add_namespace(machine.netns)
    link = netns.plug(machine.netns, node.interface, str(node.address), bridge)
    netns.plug(machine.netns, "mgmt0", f"{node.ssh.host}/{MGMT.network.prefixlen}", MGMT_BRIDGE)
    if gateway:
        netns.netns_run(machine.netns, "ip", "route", "add", "default", "via", gateway)
    login = Login(node.ssh.user, provision.public_key)
    pid = boot(machine, provision.lower, login, provision.apt_proxy, PIDS / f"host-{node.name}.pid")
    return machine, _node_state(machine, node.interface, str(node.address.ip), link, pid)


def _node_state(machine: Machine, interface: str, address: str, link: str, pid: int) -> NodeState:
    return NodeState(
        name=machine.name,
        netns=machine.netns,
        interface=interface,
        address=address,
        link=link,
        init_pid=pid,
        scratch=machine.scratch,
    )


def _key_pair() -> tuple[str, str]:
    """A key the lab makes for its hosts' logins (never one of the user's)."""
    HOME.mkdir(parents=True, exist_ok=True)
    key = HOME / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ha-udp-lb-lab", "-f", str(key)], check=True)
    return key.read_text(), key.with_suffix(".pub").read_text()

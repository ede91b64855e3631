"""The docker stack on a real engine: its network and node containers created from the program's
recorded registrations (runner.docker_calls), and the lab's collectors and exporters as namespaces on
the network's bridge; and all of it removed. Each container's network namespace is given a lab name,
so the lab's drill code sees a container as it sees a namespace node."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Stack
from ha_udp_lb.runner.docker_calls import CHECK_LABEL, ContainerCalls, DockerPlan, plan
from ha_udp_lb.runner.recorder import record

from ..host import netns
from ..host import site as lab_site
from ..host.control import daemons
from ..host.site import LabError, around_nodes, check_addresses, wait_settled
from ..host.state import LAB_DIR, STATE_FILE, LabState, NodeState, Overrides, lab_config
from .engine import DockerError, docker, logs, running
from .image import build

LIVE_TIMEOUT_S = 60


def up(
    stack_name: str,
    exporters: int = 4,
    sysctls: bool = True,
    overrides: Overrides | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> LabState:
    """The stack's containers running and its VIPs on their preferred nodes, with collectors and
    exporters beside them. `sysctls` False: the containers as if the program gave them none;
    `overrides`: pool keys set in every pool, as for the lab; `say` hears what the check leaves out.
    On any failure everything made so far is removed before the error propagates."""
    if STATE_FILE.exists() or netns.lab_namespaces():
        raise LabError("a lab is up: `ha-udp-lb lab down` first (the check uses the same addresses)")
    raw = lab_config(stack_name, overrides or {})
    stack = parse_stack(raw)
    if stack.target != "docker":
        raise LabError(f"stack {stack_name} has target {stack.target!r}; the docker check runs docker stacks (dev)")
    subnet = check_addresses(stack)
    calls = plan(record(stack_name, config=raw), stack_name, sysctls=sysctls)
    for line in calls.left_out:
        say(f"left out: {line}")
    down()
    _refuse_foreign(calls)
    try:
        for argv in calls.builds:
            build(argv)
        for argv in calls.networks:
            docker(*argv)
        bridge = _bridge(calls.networks[0][-1])
        nodes = [_start(container, stack) for container in calls.containers]
        state = around_nodes(stack_name, stack, subnet, nodes, bridge, exporters)
        state.overrides = overrides or {}
        _wait_live(state)
        return state
    except BaseException:
        down()
        raise


def down() -> list[str]:
    """Remove the check's containers and network (those carrying its label) and the lab's namespaces."""
    removed = []
    if running():
        containers = docker("ps", "-aq", "--filter", f"label={CHECK_LABEL}").split()
        if containers:
            docker("rm", "-f", *containers)
        networks = docker("network", "ls", "-q", "--filter", f"label={CHECK_LABEL}").split()
        if networks:
            docker("network", "rm", *networks)
        removed += containers + networks
    return removed + lab_site.down()


def attach(node: NodeState) -> NodeState:
    """Point `node` at its container as it runs now: a restarted container has a new PID 1, network
    namespace and veth."""
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", node.name))
    if pid == 0:
        raise LabError(f"container {node.name} is not running:\n{logs(node.name)}")
    netns.ip("netns", "del", node.netns, check=False)
    netns.ip("netns", "attach", node.netns, str(pid))
    iflink = netns.netns_run(node.netns, "cat", f"/sys/class/net/{node.interface}/iflink").stdout.strip()
    host_links = netns.ip("-o", "link", "show").stdout.splitlines()
    (link,) = [line.split(":")[1].strip().split("@")[0] for line in host_links if line.split(":")[0] == iflink]
    node.init_pid, node.link = pid, link
    return node


def mac_of(node: NodeState) -> str:
    return netns.netns_run(node.netns, "cat", f"/sys/class/net/{node.interface}/address").stdout.strip()


def _start(container: ContainerCalls, stack: Stack) -> NodeState:
    """Created, its files copied in, started: the provider's order."""
    docker(*container.create)
    docker("cp", "-", f"{container.name}:/", stdin=_archive(container))
    docker("start", container.name)
    # DockerHost names each node's container after the node.
    node = stack.node(container.name)
    scratch = LAB_DIR / "nodes" / node.name
    scratch.mkdir(parents=True, exist_ok=True)
    state = NodeState(
        name=node.name,
        netns=f"{netns.PREFIX}-{node.name}",
        interface=node.interface,
        address=str(node.address.ip),
        link="",
        init_pid=0,
        scratch=scratch,
    )
    return attach(state)


def _archive(container: ContainerCalls) -> bytes:
    """The container's uploads as the tar stream `docker cp -` unpacks at /, modes kept."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        directories: set[str] = set()
        for upload in container.uploads:
            parts = Path(upload.path.lstrip("/")).parts
            for depth in range(1, len(parts)):
                directory = "/".join(parts[:depth])
                if directory not in directories:
                    directories.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            data = upload.content.encode()
            info = tarfile.TarInfo(upload.path.lstrip("/"))
            info.size, info.mode = len(data), upload.mode
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _bridge(network: str) -> str:
    """The host bridge Docker made for `network`: the lab plugs its collectors and exporters into it."""
    return "br-" + docker("network", "inspect", "-f", "{{.Id}}", network).strip()[:12]


def _refuse_foreign(calls: DockerPlan) -> None:
    """Never touch what the check did not make: a deployed dev stack has the same names."""
    names = [c.name for c in calls.containers] + [argv[-1] for argv in calls.networks]
    for name in names:
        try:
            labels = docker("inspect", "-f", "{{json .Config.Labels}}{{json .Labels}}", name)
        except DockerError:
            continue
        if CHECK_LABEL not in labels:
            raise LabError(
                f"Docker already has {name!r}, not made by the check (is the dev stack deployed on this engine?); "
                "`pulumi destroy --stack dev` or remove it first"
            )


def _wait_live(state: LabState) -> None:
    for node in state.nodes:
        wait_keepalived(node)
    wait_settled(state)


def wait_keepalived(node: NodeState, timeout: float = LIVE_TIMEOUT_S) -> None:
    """Until keepalived runs in the node's container: its apply went through. A container whose command
    failed (it stopped, or its restart policy started it again) is said at once, with its log."""
    deadline = time.monotonic() + timeout
    restarts = _restarts(node)
    while daemons(node).get("keepalived", 0) == 0:
        status = docker("inspect", "-f", "{{.State.Status}}", node.name).strip()
        if status != "running" or _restarts(node) != restarts:
            raise LabError(f"container {node.name} failed ({status}):\n{logs(node.name)}")
        if time.monotonic() > deadline:
            raise LabError(f"keepalived not running in {node.name} after {timeout} s")
        time.sleep(0.1)


def _restarts(node: NodeState) -> int:
    return int(docker("inspect", "-f", "{{.RestartCount}}", node.name))

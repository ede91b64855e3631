"""Each node file, rendered as a pure function of the stack (one function per owner of files);
core.compose puts them together into the one set a node receives."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ha_udp_lb import slot_table as slots

from .addresses import host_port
from .announce import announce_settings
from .complaints import COMPLAINT
from .model import Node, Pool, Stack
from .paths import PATHS
from .procnet import proc_net_local_address
from .project import PROJECT
from .render_kernel import (
    FORWARD_REFUSED,
    REPLAY_DEVICE,
    TEMPLATE_LOG_GROUP,
    TEMPLATE_SHARE_PORT,
    guard_counters,
    kernel_id,
    template_pools,
)
from .report_settings import report_settings
from .templating import NodeFile, common_context, render_template, restart_dropin


def render_vrrp(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """keepalived and what keeps it honest about nginx: the config, the socket watcher, the VIPs on lo."""
    common = common_context(stack, node)
    password = stack.vrrp.password.get_secret_value() if stack.vrrp.password else None
    return {
        PATHS.keepalived_conf: NodeFile(
            render_template(
                "keepalived.conf.j2",
                instances=_instances(stack, node),
                kernel=bool(stack.pools_on("kernel")),
                peers=[str(n.address.ip) for n in stack.nodes if n is not node],
                password=password,
                **common,
            ),
            0o600 if password else 0o644,
            secret=password is not None,
        ),
        PATHS.health_script: NodeFile(
            render_template(
                "nginx-health.sh.j2",
                sockets=sorted({proc_net_local_address(p.vip, p.port) for p in stack.pools_on("nginx")}),
                watch_seconds=f"{stack.health.watch_interval_ms / 1000:.3f}",
                vrrp_addresses=[f"{vip.address} dev {node.interface}" for vip in stack.vips],
                **common,
            ),
            0o755,
        ),
        PATHS.loopback_script: NodeFile(
            render_template("loopback-vips.sh.j2", vips=[vip.address.ip for vip in stack.vips], **common), 0o755
        ),
        PATHS.sysctl: sysctls(stack, node),
        PATHS.watch_unit: NodeFile(render_template("nginx-watch.service.j2", **common), 0o644),
        PATHS.loopback_unit: NodeFile(render_template("loopback-vips.service.j2", **common), 0o644),
        PATHS.dropin("keepalived.service"): restart_dropin(stack, node),
    }


def sysctls(stack: Stack, node: Node) -> NodeFile:
    """The node's sysctl drop-in: forwarding for the kernel plane, ARP kept off the VIPs on lo, and with
    routing bgp loose reverse-path filtering (datagrams arrive from exporters the node has no route to
    on that link)."""
    forward = {p.vip.version for p in stack.pools_on("kernel")}
    content = render_template(
        "sysctl.conf.j2", forward=forward, bgp=stack.routing == "bgp", **common_context(stack, node)
    )
    return NodeFile(content, 0o644)


def render_health(stack: Stack, node: Node, agent: Mapping[str, str]) -> dict[str, NodeFile]:
    """The collector-health agent: its code (`agent`: path under the agent's directory → source, stdlib
    only, read from the checkout by the shell), its settings, its unit."""
    config = {
        "node": node.name,
        "kernel_down": PATHS.kernel_down_file,
        "lock": PATHS.lock,
        "state": PATHS.health_state,
        "metrics": PATHS.metrics,
        "announce": announce_settings(stack),
        "report": report_settings(stack, node, agent),
        "firewall": {
            "table": PATHS.kernel_table,
            "ruleset": PATHS.kernel_ruleset,
            "refused": guard_counters(stack),
            "forward_refused": FORWARD_REFUSED,
        },
        "templates": {
            "group": TEMPLATE_LOG_GROUP,
            "device": REPLAY_DEVICE,
            "state": PATHS.template_state,
            "pools": template_pools(stack),
            "table": PATHS.kernel_table,
            "every_node_holds": stack.routing == "bgp",
            "share": {
                "listen": str(node.address.ip),
                "peers": [str(n.address.ip) for n in stack.nodes if n is not node],
                "port": TEMPLATE_SHARE_PORT,
            },
        },
        "pools": [
            {
                "name": pool.name,
                "file": PATHS.pool_file(pool) if pool.data_plane == "nginx" else None,
                "backends": [
                    {"endpoint": b.endpoint, "address": str(b.address), "port": b.port} for b in pool.backends
                ],
                "check": pool.health_check.model_dump(exclude={"enabled"}),
                "kernel": _kernel_settings(pool) if pool.data_plane == "kernel" else None,
            }
            for pool in stack.pools
            if pool.health_check.enabled
        ],
    }
    return {
        PATHS.health_config: NodeFile(json.dumps(config, indent=2, sort_keys=True) + "\n", 0o644),
        PATHS.health_unit: NodeFile(
            render_template("health.service.j2", bgp=stack.routing == "bgp", **common_context(stack, node)), 0o644
        ),
        **{PATHS.agent_file(relative): NodeFile(source, 0o644) for relative, source in sorted(agent.items())},
    }


def _kernel_settings(pool: Pool) -> dict[str, Any]:
    """What the agent needs to recompute the pool's slot maps (node_agent.kernel.KernelPool)."""
    weights = [b.weight for b in pool.backends]
    return {
        "table": PATHS.kernel_table,
        "id": kernel_id(pool.name),
        "ruleset": PATHS.kernel_ruleset,
        "weights": weights,
        "size": slots.table_size(weights),
    }


def render_nginx(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """nginx's main file: workers, limits, and the include of every pool file."""
    return {
        PATHS.nginx_conf: NodeFile(render_template("nginx.conf.j2", **common_context(stack, node)), 0o644),
        PATHS.dropin("nginx.service"): restart_dropin(stack, node),
    }


def render_entrypoint(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """The container's command on the docker target; nothing on ssh hosts."""
    if stack.target != "docker":
        return {}
    content = render_template("container-entrypoint.sh.j2", **common_context(stack, node))
    return {PATHS.container_entrypoint: NodeFile(content, 0o755)}


def render_pool(stack: Stack, pool: Pool) -> dict[str, NodeFile]:
    """One pool's upstream and listener: the same bytes for every node."""
    content = render_template(
        "nginx-pool.conf.j2",
        pool=pool,
        upstream=f"pool_{pool.name.replace('-', '_')}",
        listen=host_port(pool.vip, pool.port),
        tuning=stack.tuning,
    )
    return {PATHS.pool_file(pool): NodeFile(content, 0o644)}


def render_apply(node: Node, files: dict[str, NodeFile]) -> dict[str, NodeFile]:
    """The script that validates, installs and activates `files` (itself included) on `node`."""
    listed = sorted([*((path, f.mode) for path, f in files.items()), (PATHS.apply_script, 0o755)])
    bgp = PATHS.frr_conf in files
    content = render_template("apply.sh.j2", node=node, files=listed, complaint=COMPLAINT, bgp=bgp)
    return {PATHS.apply_script: NodeFile(content, 0o755)}


def _instances(stack: Stack, node: Node) -> list[dict[str, Any]]:
    return [
        {
            "name": f"VI_{vip.vrid}",
            "vrid": vip.vrid,
            "priority": stack.instance_priorities(vip)[node.name],
            "advert_interval": _seconds(stack.vrrp.advert_interval),
            "vip": vip.address,
        }
        for vip in stack.vips
    ]


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


def render_teardown() -> str:
    """The node's teardown (a POSIX sh script): every daemon, VIP, unit, file and table of ours gone."""
    parents = {
        path.rsplit("/", 1)[0] for path in (PATHS.pool_dir, PATHS.health_config, PATHS.staging, PATHS.health_log)
    }
    directories = sorted(parents | {PATHS.scripts, PATHS.agent_dir, PATHS.run_dir})
    assert all(f"/{PROJECT}" in directory for directory in directories), directories  # only what is ours
    files = [
        PATHS.keepalived_conf,
        PATHS.sysctl,
        PATHS.metrics,
        PATHS.watch_unit,
        PATHS.health_unit,
        PATHS.loopback_unit,
        *PATHS.dropins,
    ]
    dropin_directories = sorted({path.rsplit("/", 1)[0] for path in PATHS.dropins})
    return render_template(
        "teardown.sh.j2", directories=directories, files=files, shared_directories=dropin_directories
    )


def namespaced_sysctls(files: dict[str, NodeFile]) -> dict[str, str]:
    """The node's sysctls a container can be given at creation (its /proc/sys is read-only later):
    those of its own network namespace, not host-wide ones. Per-interface ones too: the engine sets
    them once the interface is in the namespace, and `default` does not reach an interface moved in
    before it was set (measured on Docker 20.10)."""
    settings = {}
    for line in files[PATHS.sysctl].content.splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key.startswith("net.") and not key.startswith("net.core."):
            settings[key] = value
    return settings


def files_digest(files: dict[str, NodeFile]) -> str:
    """A content hash of a node's files (paths, modes, bytes): the trigger for every change."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{files[path].mode:o}\0{files[path].content}\0".encode())
    return digest.hexdigest()

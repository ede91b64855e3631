"""Render every file a node needs, as pure functions of the stack: node → {absolute path: file}."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from .complaints import COMPLAINT
from .model import Node, Pool, Stack, host_port
from .procnet import proc_net_local_address

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
AGENT_SOURCES = Path(__file__).resolve().parent.parent / "node_agent"


@dataclass(frozen=True)
class NodeFile:
    content: str
    mode: int
    secret: bool = False
    """True when the content carries a secret (the VRRP password): keep it out of logs and outputs."""


@dataclass(frozen=True)
class Paths:
    keepalived_conf: str = "/etc/keepalived/keepalived.conf"
    nginx_conf: str = "/etc/nginx/nginx.conf"
    scripts: str = "/etc/keepalived/ha-udp-lb"
    sysctl: str = "/etc/sysctl.d/60-ha-udp-lb.conf"
    units: str = "/etc/systemd/system"
    run_dir: str = "/run/ha-udp-lb"
    keepalived_pid: str = "/run/keepalived.pid"
    nginx_pid: str = "/run/nginx.pid"
    nginx_error_log: str = "/var/log/nginx/error.log"
    health_config: str = "/etc/ha-udp-lb/health.json"
    agent_dir: str = "/usr/lib/ha-udp-lb"
    """Holds the `node_agent` package: python3 -m node_agent with this on PYTHONPATH."""
    metrics: str = "/var/lib/prometheus/node-exporter/ha-udp-lb.prom"
    """node_exporter's textfile collector directory on Debian and Ubuntu."""
    health_log: str = "/var/log/ha-udp-lb/health.log"
    """Where the agent logs when no journal takes its output (containers, the lab)."""
    pool_dir: str = "/etc/nginx/ha-udp-lb/pools"
    staging: str = "/var/lib/ha-udp-lb/staging"

    @property
    def down_file(self) -> str:
        return f"{self.run_dir}/nginx.down"

    @property
    def watch_pid(self) -> str:
        return f"{self.run_dir}/watch.pid"

    @property
    def health_state(self) -> str:
        return f"{self.run_dir}/health.json"

    @property
    def health_pid(self) -> str:
        return f"{self.run_dir}/health.pid"

    def agent_module(self, name: str) -> str:
        return f"{self.agent_dir}/node_agent/{name}"

    @property
    def loopback_state(self) -> str:
        """The VIPs the loopback script added, so it never removes anyone else's address."""
        return f"{self.run_dir}/loopback-vips"

    @property
    def health_script(self) -> str:
        return f"{self.scripts}/nginx-health"

    @property
    def loopback_script(self) -> str:
        return f"{self.scripts}/loopback-vips"

    @property
    def container_entrypoint(self) -> str:
        """The docker target's container command: apply, then supervise (templates/container-entrypoint.sh.j2)."""
        return f"{self.scripts}/container-entrypoint"

    @property
    def apply_script(self) -> str:
        return f"{self.scripts}/apply"

    def pool_file(self, pool: Pool) -> str:
        return f"{self.pool_dir}/{pool.name}.conf"

    watch_unit_name: str = "ha-udp-lb-nginx-watch.service"
    loopback_unit_name: str = "ha-udp-lb-loopback-vips.service"
    health_unit_name: str = "ha-udp-lb-health.service"

    @property
    def health_unit(self) -> str:
        return f"{self.units}/{self.health_unit_name}"

    @property
    def directories(self) -> list[str]:
        """Every directory a node file lives in."""
        files = [self.keepalived_conf, self.nginx_conf, self.sysctl, self.apply_script, self.watch_unit]
        files += [self.health_config, self.agent_module("agent.py")]
        return sorted({path.rsplit("/", 1)[0] for path in files} | {self.pool_dir})

    @property
    def watch_unit(self) -> str:
        return f"{self.units}/{self.watch_unit_name}"

    @property
    def loopback_unit(self) -> str:
        return f"{self.units}/{self.loopback_unit_name}"


PATHS = Paths()


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(paths=PATHS, **context)


def render_node(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """Every file `node` needs, keyed by its absolute path. Same stack in, same bytes out."""
    files = {**render_vrrp(stack, node), **render_nginx(stack, node), **render_health(stack, node)}
    files |= render_entrypoint(stack, node)
    for pool in stack.pools:
        files.update(render_pool(stack, pool))
    return {**files, **render_apply(node, files)}


def _common(stack: Stack, node: Node) -> dict[str, Any]:
    return {"node": node, "vrrp": stack.vrrp, "health": stack.health, "tuning": stack.tuning}


def render_vrrp(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """keepalived and what keeps it honest about nginx: the config, the socket watcher, the VIPs on lo."""
    common = _common(stack, node)
    password = stack.vrrp.password.get_secret_value() if stack.vrrp.password else None
    return {
        PATHS.keepalived_conf: NodeFile(
            _render(
                "keepalived.conf.j2",
                instances=_instances(stack, node),
                peers=[str(n.address.ip) for n in stack.nodes if n is not node],
                password=password,
                **common,
            ),
            0o600 if password else 0o644,
            secret=password is not None,
        ),
        PATHS.health_script: NodeFile(
            _render(
                "nginx-health.sh.j2",
                sockets=sorted({proc_net_local_address(p.vip, p.port) for p in stack.pools}),
                watch_seconds=f"{stack.health.watch_interval_ms / 1000:.3f}",
                vrrp_addresses=[f"{vip.address} dev {node.interface}" for vip in stack.vips],
                **common,
            ),
            0o755,
        ),
        PATHS.loopback_script: NodeFile(
            _render("loopback-vips.sh.j2", vips=[vip.address.ip for vip in stack.vips], **common), 0o755
        ),
        PATHS.sysctl: NodeFile(_render("sysctl.conf.j2", **common), 0o644),
        PATHS.watch_unit: NodeFile(_render("nginx-watch.service.j2", **common), 0o644),
        PATHS.loopback_unit: NodeFile(_render("loopback-vips.service.j2", **common), 0o644),
    }


def render_health(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """The collector-health agent: its code (stdlib only), its settings, its unit."""
    config = {
        "node": node.name,
        "state": PATHS.health_state,
        "metrics": PATHS.metrics,
        "pools": [
            {
                "name": pool.name,
                "file": PATHS.pool_file(pool),
                "backends": [
                    {"endpoint": b.endpoint, "address": str(b.address), "port": b.port} for b in pool.backends
                ],
                "check": pool.health_check.model_dump(exclude={"enabled"}),
            }
            for pool in stack.pools
            if pool.health_check.enabled
        ],
    }
    sources = sorted(AGENT_SOURCES.glob("*.py"))
    return {
        PATHS.health_config: NodeFile(json.dumps(config, indent=2, sort_keys=True) + "\n", 0o644),
        PATHS.health_unit: NodeFile(_render("health.service.j2", **_common(stack, node)), 0o644),
        **{PATHS.agent_module(source.name): NodeFile(source.read_text(), 0o644) for source in sources},
    }


def render_nginx(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """nginx's main file: workers, limits, and the include of every pool file."""
    return {PATHS.nginx_conf: NodeFile(_render("nginx.conf.j2", **_common(stack, node)), 0o644)}


def render_entrypoint(stack: Stack, node: Node) -> dict[str, NodeFile]:
    """The container's command on the docker target; nothing on ssh hosts."""
    if stack.target != "docker":
        return {}
    content = _render("container-entrypoint.sh.j2", **_common(stack, node))
    return {PATHS.container_entrypoint: NodeFile(content, 0o755)}


def render_pool(stack: Stack, pool: Pool) -> dict[str, NodeFile]:
    """One pool's upstream and listener: the same bytes for every node."""
    content = _render(
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
    content = _render("apply.sh.j2", node=node, files=listed, complaint=COMPLAINT)
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


def files_digest(files: dict[str, NodeFile]) -> str:
    """A content hash of a node's files (paths, modes, bytes): the trigger for every change."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{files[path].mode:o}\0{files[path].content}\0".encode())
    return digest.hexdigest()

"""Where everything lives on a node: every path a rendered file, script or unit names, in one place."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Pool


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
    kernel_ruleset: str = "/etc/ha-udp-lb/kernel.nft"
    kernel_table: str = "ha_udp_lb"
    """The one nftables table (family inet) the project owns; nobody else's rules are touched."""
    agent_dir: str = "/usr/lib/ha-udp-lb"
    """Holds the agent's packages (AGENT_PACKAGES, inside `ha_udp_lb/`): python3 -m ha_udp_lb.node_agent with this
    on PYTHONPATH."""
    agent_module: str = "ha_udp_lb.node_agent"
    metrics: str = "/var/lib/prometheus/node-exporter/ha-udp-lb.prom"
    """node_exporter's textfile collector directory on Debian and Ubuntu."""
    health_log: str = "/var/log/ha-udp-lb/health.log"
    """Where the agent logs when no journal takes its output (containers, the lab)."""
    pool_dir: str = "/etc/nginx/ha-udp-lb/pools"
    staging: str = "/var/lib/ha-udp-lb/staging"
    frr_conf: str = "/etc/frr/frr.conf"
    frr_daemons: str = "/etc/frr/daemons"
    bfdd_pid: str = "/run/frr/bfdd.pid"
    owners: str = "/var/lib/ha-udp-lb/owners"
    """How many staging steps of a Pulumi state hold this node: a teardown runs only when the last goes."""
    drain_file: str = "/var/lib/ha-udp-lb/drain"
    """routing bgp: while it exists, the node withdraws its VIPs (a planned drain) and keeps forwarding."""

    @property
    def down_file(self) -> str:
        return f"{self.run_dir}/nginx.down"

    @property
    def kernel_down_file(self) -> str:
        """Written by the health agent: 1 while the kernel plane's table is missing."""
        return f"{self.run_dir}/kernel.down"

    @property
    def watch_pid(self) -> str:
        return f"{self.run_dir}/watch.pid"

    @property
    def health_state(self) -> str:
        return f"{self.run_dir}/health.json"

    @property
    def template_state(self) -> str:
        """The exporters' templates the agent keeps (node_agent.template_keeper), for its next start."""
        return f"{self.run_dir}/templates.json"

    @property
    def vrrp_roles(self) -> str:
        """One file per VRRP instance, its state and priority, written by keepalived's notify (the health script)."""
        return f"{self.run_dir}/vrrp"

    @property
    def announced(self) -> str:
        """routing bgp: the VIPs the agent last put on lo, so the teardown withdraws exactly those."""
        return f"{self.run_dir}/announced"

    @property
    def lock(self) -> str:
        """Held by apply while it installs, tried by the health agent before it rewrites (node_agent.lock)."""
        return f"{self.run_dir}/lock"

    @property
    def health_pid(self) -> str:
        return f"{self.run_dir}/health.pid"

    def agent_file(self, relative: str) -> str:
        """Where one of the agent's sources (`ha_udp_lb/node_agent/agent.py`) lands on the node."""
        return f"{self.agent_dir}/{relative}"

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

    dropin_name: str = "ha-udp-lb.conf"
    """Our drop-in for the distribution's nginx and keepalived units (restart them when they die)."""
    watch_unit_name: str = "ha-udp-lb-nginx-watch.service"
    loopback_unit_name: str = "ha-udp-lb-loopback-vips.service"
    health_unit_name: str = "ha-udp-lb-health.service"

    @property
    def health_unit(self) -> str:
        return f"{self.units}/{self.health_unit_name}"

    @property
    def directories(self) -> list[str]:
        """Every directory a node file lives in."""
        files = [self.keepalived_conf, self.nginx_conf, self.sysctl, self.apply_script, self.watch_unit, *self.dropins]
        files += [self.frr_conf]
        agent = ["ha_udp_lb/__init__.py", *(f"ha_udp_lb/{package}/__init__.py" for package in AGENT_PACKAGES)]
        files += [self.health_config, *map(self.agent_file, agent)]
        return sorted({path.rsplit("/", 1)[0] for path in files} | {self.pool_dir})

    def dropin(self, unit: str) -> str:
        """Our drop-in for the distribution's `unit` (nginx.service, keepalived.service)."""
        return f"{self.units}/{unit}.d/{self.dropin_name}"

    @property
    def dropins(self) -> list[str]:
        return [self.dropin("keepalived.service"), self.dropin("nginx.service"), self.dropin("frr.service")]

    @property
    def watch_unit(self) -> str:
        return f"{self.units}/{self.watch_unit_name}"

    @property
    def loopback_unit(self) -> str:
        return f"{self.units}/{self.loopback_unit_name}"


AGENT_PACKAGES = ("node_agent", "slot_table")
"""What the health agent runs on a node: its own package and the slot table it shares with the core."""

PATHS = Paths()

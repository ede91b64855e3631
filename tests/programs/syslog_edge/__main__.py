"""A Pulumi program of a user's own, built from the installed `ha_udp_lb` package rather than this
project's stack files: two nodes in VRRP and nginx spreading syslog over three collectors, each seeing
every sender as itself. The hosts come from another stack (the team's VM stack, `vmStack`): their
management addresses are its outputs, handed to SshHost as Inputs."""

import pulumi

from ha_udp_lb.components.agent_sources import agent_sources
from ha_udp_lb.components.collector_health import CollectorHealth
from ha_udp_lb.components.kernel_plane import KernelPlane
from ha_udp_lb.components.nginx_udp_pool import NginxUdpPool
from ha_udp_lb.components.rollout import roll_out
from ha_udp_lb.components.ssh_host import SshHost
from ha_udp_lb.components.transport import Stager, Transport
from ha_udp_lb.components.vrrp_group import VrrpGroup
from ha_udp_lb.core.compose import compose
from ha_udp_lb.core.config import parse_stack

config = pulumi.Config()
vms = pulumi.StackReference(config.require("vmStack"))


def management_address(node: str) -> pulumi.Output[str]:
    """Where the VM stack says `node` is reached."""
    return vms.get_output("managementAddresses").apply(lambda addresses: str(addresses[node]))


# The one reader checks this as it checks a stack file: a bad key stops here, before any resource.
stack = parse_stack(
    {
        "target": "ssh",
        "nodes": [
            # ssh.host names the host for people; SshHost connects to the VM stack's address for it.
            {
                "name": "edge1",
                "address": "198.18.0.11/24",
                "interface": "eth0",
                "priority": 150,
                "ssh": {"host": "edge1"},
            },
            {
                "name": "edge2",
                "address": "198.18.0.12/24",
                "interface": "eth0",
                "priority": 100,
                "ssh": {"host": "edge2"},
            },
        ],
        "vips": [{"address": "198.18.0.100/24", "vrid": 61, "preferred": "edge1"}],
        "pools": [
            {
                "name": "syslog",
                "vip": "198.18.0.100",
                "port": 514,
                "dataPlane": "nginx",
                "backends": ["198.18.0.21:5514", "198.18.0.22:5514", "198.18.0.23:5514"],
            }
        ],
    }
)
files = compose(stack, agent_sources())
private_key = config.require_secret("sshPrivateKey")
hosts: dict[str, Transport] = {
    node.name: SshHost(
        node.name,
        {
            "node": node,
            "private_key": private_key,
            "routing": stack.routing,
            "host": management_address(node.name),
        },
    )
    for node in stack.nodes
}
vrrp = VrrpGroup("edge-vrrp", {"stack": stack, "files": files, "hosts": hosts})
syslog = NginxUdpPool("syslog", {"pool": stack.pools[0], "files": files, "hosts": hosts})
kernel = KernelPlane("edge-kernel", {"stack": stack, "files": files, "hosts": hosts})
health = CollectorHealth("edge-health", {"stack": stack, "files": files, "hosts": hosts})
stagers: list[Stager] = [vrrp, syslog, kernel, health]
roll_out(stack, files, hosts, stagers)

pulumi.export("syslog", syslog.endpoint)

"""ha-udp-lb: a highly available UDP load balancer.

keepalived (VRRP) floats the VIPs across two or more nodes, or every node announces them over BGP to
routers that spread exporters by ECMP; on every node nginx's stream module or the kernel plane sends
each exporter to one collector by consistent hashing. This file only wires:
stack config → validated model and each node's files (core) → components → exports. Bad config stops
here, before any resource is registered.
"""

import pulumi

from ha_udp_lb.components.agent_sources import agent_sources
from ha_udp_lb.components.bgp_speakers import BgpSpeakers
from ha_udp_lb.components.collector_health import CollectorHealth
from ha_udp_lb.components.departures import leaving_nodes
from ha_udp_lb.components.docker_host import DockerHost
from ha_udp_lb.components.docker_site import DockerSite
from ha_udp_lb.components.kernel_plane import KernelPlane
from ha_udp_lb.components.nginx_udp_pool import NginxUdpPool
from ha_udp_lb.components.rollout import roll_out
from ha_udp_lb.components.ssh_host import SshHost
from ha_udp_lb.components.stack_config import load_stack
from ha_udp_lb.components.transport import Stager, Transport
from ha_udp_lb.components.vrrp_group import VrrpGroup
from ha_udp_lb.core.compose import compose
from ha_udp_lb.core.departures import SSH_HOSTS_EXPORT, ssh_hosts

stack, private_key = load_stack()
project = pulumi.get_project()
files = compose(stack, agent_sources())

hosts: dict[str, Transport] = {}
if stack.target == "docker":
    site = DockerSite(project, {"stack": stack})
    hosts = {node.name: DockerHost(node, site.network, site.image) for node in stack.nodes}
else:
    assert private_key is not None  # load_stack refuses target ssh without it
    hosts = {
        node.name: SshHost(node.name, {"node": node, "private_key": private_key, "routing": stack.routing})
        for node in stack.nodes
    }

routing: VrrpGroup | BgpSpeakers
if stack.routing == "bgp":
    routing = BgpSpeakers(f"{project}-bgp", {"stack": stack, "files": files, "hosts": hosts})
else:
    routing = VrrpGroup(f"{project}-vrrp", {"stack": stack, "files": files, "hosts": hosts})
pools = {
    pool.name: NginxUdpPool(pool.name, {"pool": pool, "files": files, "hosts": hosts})
    for pool in stack.pools_on("nginx")
}
kernel = KernelPlane(f"{project}-kernel", {"stack": stack, "files": files, "hosts": hosts})
health = CollectorHealth(f"{project}-health", {"stack": stack, "files": files, "hosts": hosts})
stagers: list[Stager] = [routing, *pools.values(), kernel, health]

# Nodes the stack dropped are torn down before the first node changes (components/departures.py).
leaving: list[pulumi.Resource] = []
if stack.target == "ssh":
    assert private_key is not None
    leaving = [node.left for node in leaving_nodes(stack, private_key)]
    pulumi.export(SSH_HOSTS_EXPORT, ssh_hosts(stack))
nodes = roll_out(stack, files, hosts, stagers, after=leaving)

pulumi.export("vips", routing.vips)
pulumi.export(
    "endpoints",
    kernel.endpoints.apply(lambda kernel_pools: {**kernel_pools, **{n: p.endpoint for n, p in pools.items()}}),
)
if isinstance(routing, VrrpGroup):
    pulumi.export(
        "nodes",
        routing.initial_roles.apply(
            lambda roles: {
                node.name: {"address": str(node.address), "roles": {vip: roles[vip][node.name] for vip in roles}}
                for node in stack.nodes
            }
        ),
    )
else:
    pulumi.export("nodes", routing.sessions)
pulumi.export("healthChecked", health.checked)
pulumi.export("filesHash", {name: nodes[name].files_hash for name in sorted(nodes)})

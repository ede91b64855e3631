"""ha-udp-lb: a highly available UDP load balancer.

keepalived (VRRP) floats the VIPs across two or more nodes; nginx's stream module on every node sends
each exporter to one collector by consistent hashing. This file only wires: stack config → validated
model (core) → components → exports. Bad config stops here, before any resource is registered.
"""

import pulumi

from components.docker_site import DockerSite
from components.lb_node import LbNode
from components.nginx_udp_pool import NginxUdpPool
from components.stack_config import load_stack
from components.vrrp_pair import VrrpPair

stack, private_key = load_stack()
project = pulumi.get_project()

site = DockerSite(project, {"stack": stack}) if stack.target == "docker" else None
nodes = {
    node.name: LbNode(
        node.name,
        {
            "stack": stack,
            "node": node,
            "private_key": private_key,
            "network": site.network if site else None,
            "image": site.image if site else None,
        },
    )
    for node in stack.nodes
}
vrrp = VrrpPair(f"{project}-vrrp", {"stack": stack, "nodes": nodes})
pools = {pool.name: NginxUdpPool(pool.name, {"stack": stack, "pool": pool, "nodes": nodes}) for pool in stack.pools}

# One node at a time, lowest priority first: the backups take a change before the master does, and a
# node whose apply fails stops the rollout with the master untouched.
rollout: list[pulumi.Resource] = []
for node in sorted(stack.nodes, key=lambda n: n.priority):
    rollout = [nodes[node.name].activate(after=rollout)]

pulumi.export("vips", vrrp.vips)
pulumi.export("endpoints", {name: pool.endpoint for name, pool in pools.items()})
pulumi.export(
    "nodes",
    vrrp.initial_roles.apply(
        lambda roles: {
            node.name: {"address": str(node.address), "roles": {vip: roles[vip][node.name] for vip in roles}}
            for node in stack.nodes
        }
    ),
)
pulumi.export("filesHash", {name: node.files_hash for name, node in nodes.items()})

"""DockerSite: what a docker stack's nodes stand on: a bridge network, the LB image, demo collectors."""

from __future__ import annotations

import ipaddress
from typing import TypedDict

import pulumi
import pulumi_docker as docker

from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PACKAGE, PROJECT

COLLECTOR_IMAGE = "netsampler/goflow2:v2.2.3"
"""A public NetFlow/IPFIX/sFlow collector; it logs every decoded flow as JSON."""


class DockerSiteArgs(TypedDict):
    stack: Stack
    """The validated stack (core.model.Stack); its nodes' subnet becomes the bridge's."""


class DockerSite(pulumi.ComponentResource):
    network: docker.Network
    """The bridge every node and demo collector joins."""
    image: docker.Image
    """The LB image: Debian with nginx (stream), keepalived, iproute2; built locally, never pushed."""

    def __init__(self, name: str, args: DockerSiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PROJECT}:index:DockerSite", name, {}, opts)
        stack = args["stack"]
        subnet = stack.nodes[0].address.network
        self.network = docker.Network(
            f"{name}-network",
            name=name,
            driver="bridge",
            ipam_configs=[docker.NetworkIpamConfigArgs(subnet=str(subnet), gateway=str(next(subnet.hosts())))],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image = docker.Image(
            f"{name}-lb-image",
            image_name=f"{name}-lb:local",
            build=docker.DockerBuildArgs(
                context=str(PACKAGE / "image"), dockerfile=str(PACKAGE / "image" / "Dockerfile")
            ),
            skip_push=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        collector_image = docker.RemoteImage(
            f"{name}-collector-image", name=COLLECTOR_IMAGE, keep_locally=True, opts=pulumi.ResourceOptions(parent=self)
        )
        # One demo collector per backend address inside the bridge's subnet (others are the user's own).
        addresses = sorted(
            {b.address for p in stack.pools for b in p.backends if b.address in subnet},
            key=lambda a: int(ipaddress.ip_address(a)),
        )
        for index, address in enumerate(addresses, start=1):
            docker.Container(
                f"{name}-collector-{index}",
                name=f"{name}-collector-{index}",
                image=collector_image.image_id,
                command=["-listen", "netflow://:2055,sflow://:6343", "-format", "json"],
                networks_advanced=[
                    docker.ContainerNetworksAdvancedArgs(name=self.network.name, ipv4_address=str(address))
                ],
                restart="unless-stopped",
                # A fixed name: a replacement must remove the old container first.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
        self.register_outputs({"network": self.network.name, "image": self.image.image_name})

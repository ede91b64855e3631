"""DockerHost: a node as a container on the DockerSite's bridge; its files ride in the container's uploads."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from ha_udp_lb.core import commands
from ha_udp_lb.core.model import Node
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render import namespaced_sysctls
from ha_udp_lb.core.templating import NodeFile

from .transport import secret_content

CAPABILITIES = ["NET_ADMIN", "NET_RAW", "NET_BROADCAST", "SYS_NICE"]
TUN = "/dev/net/tun"
"""What keepalived needs in a container to add addresses and send adverts and GARPs, and to run on
real-time scheduling (the socket watcher puts it there)."""


class DockerHost:
    """Stages nothing on its own: every file is uploaded when the container is created, so a changed
    file is a new container (the provider replaces it)."""

    def __init__(self, node: Node, network: docker.Network, image: docker.Image) -> None:
        self._node, self._network, self._image = node, network, image

    def stage(self, name: str, parent: pulumi.Resource, path: str, node_file: NodeFile) -> pulumi.Resource | None:
        return None

    def activate(
        self,
        name: str,
        parent: pulumi.Resource,
        files: dict[str, NodeFile],
        files_hash: pulumi.Output[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> pulumi.Resource:
        uploads = [
            docker.ContainerUploadArgs(
                file=PATHS.staging + path, content=secret_content(f), permissions=f"{f.mode:04o}"
            )
            for path, f in sorted(files.items())
        ]
        return docker.Container(
            f"{name}-container",
            name=name,
            hostname=self._node.name,
            image=self._image.image_name,
            capabilities=docker.ContainerCapabilitiesArgs(adds=CAPABILITIES),
            # The health agent replays NetFlow/IPFIX templates through a TUN device (node_agent.replay_device).
            devices=[docker.ContainerDeviceArgs(host_path=TUN, container_path=TUN)],
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self._network.name, ipv4_address=str(self._node.address.ip))
            ],
            # The entrypoint runs the apply script, then keeps the daemons and removes the VIPs on stop.
            command=["bash", PATHS.staging + PATHS.container_entrypoint, *commands.apply_command().split()],
            uploads=uploads,
            # Set at creation: inside the container /proc/sys is read-only. Every other one is what a new
            # network namespace gets on that host (the kernel's defaults, or some of the host's own: see
            # net.core.devconf_inherit_init_net), so none the node relies on is left out.
            sysctls=namespaced_sysctls(files),
            restart="unless-stopped",
            # A fresh /run at every start, as after a boot: a restarted container's keepalived would
            # otherwise find its children's pid files from before and, when one names a live process of
            # the new container, think they still run and exit.
            tmpfs={"/run": "rw,nosuid,nodev,mode=755"},
            # SIGTERM lets keepalived send priority 0, so the peer takes over after skew time alone.
            stop_signal="SIGTERM",
            stop_timeout=10,
            # The container has a fixed name: a replacement must remove the old one first.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on), delete_before_replace=True),
        )

"""How files and the activation step reach a node: an ssh host (components.ssh_host) or a Docker
container (components.docker_host). Components stage their files through it; LbNode activates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import pulumi

from ha_udp_lb.core.compose import NodeFiles
from ha_udp_lb.core.templating import NodeFile


class Transport(Protocol):
    def stage(self, name: str, parent: pulumi.Resource, path: str, node_file: NodeFile) -> pulumi.Resource | None:
        """Put `node_file` in the node's staging directory as a child of `parent`; None when the files
        ride with the activation step instead (a container's uploads)."""

    def activate(
        self,
        name: str,
        parent: pulumi.Resource,
        files: dict[str, NodeFile],
        files_hash: pulumi.Output[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> pulumi.Resource:
        """The step that validates `files` (every file of the node, the apply script included) on the
        node and puts them live; it runs again whenever `files_hash` changes."""


class Stager(Protocol):
    """A component that puts a part of every node's files on the nodes (through stage_part)."""

    staged: dict[str, list[pulumi.Resource]]
    """Node → the uploads made (none for a container, whose files ride in its creation)."""


def stage_part(
    name: str, parent: pulumi.Resource, hosts: dict[str, Transport], files: dict[str, NodeFiles], part: str
) -> dict[str, list[pulumi.Resource]]:
    """Stage `part` of every node's composed files through its host, as children of `parent`; node →
    the uploads made. The one way a component puts files on nodes."""
    staged: dict[str, list[pulumi.Resource]] = {}
    for node, node_files in sorted(files.items()):
        uploads = (
            hosts[node].stage(f"{name}-{node}-{slug(path)}", parent, path, node_file)
            for path, node_file in sorted(node_files.parts[part].items())
        )
        staged[node] = [upload for upload in uploads if upload]
    return staged


def slug(path: str) -> str:
    """The whole path: two files of one node may share a name (the agent's packages' `__init__.py`),
    and two resources with one URN are an error to the engine."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def secret_content(node_file: NodeFile) -> pulumi.Input[str]:
    """A file that carries the VRRP password travels as a Pulumi secret."""
    return pulumi.Output.secret(node_file.content) if node_file.secret else node_file.content

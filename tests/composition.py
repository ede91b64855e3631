"""What the tests read of a node: the program's own composition (core.compose), with the agent's
sources as the program reads them."""

from __future__ import annotations

from ha_udp_lb.components.agent_sources import agent_sources
from ha_udp_lb.core.compose import compose_node
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.templating import NodeFile

AGENT = agent_sources()


def node_files(stack: Stack, node: Node) -> dict[str, NodeFile]:
    return compose_node(stack, node, AGENT).files

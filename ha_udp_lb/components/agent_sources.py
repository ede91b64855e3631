"""The health agent's code as it ships to a node, read from the installed package for the core to place."""

from __future__ import annotations

from ha_udp_lb.core.paths import AGENT_PACKAGES
from ha_udp_lb.core.project import PACKAGE


def agent_sources() -> dict[str, str]:
    """Path under the agent's directory on the node (`ha_udp_lb/node_agent/agent.py`) → source: the package's
    (empty) `__init__` and every module of every package the agent runs."""
    root = PACKAGE.parent
    modules = [PACKAGE / "__init__.py"]
    modules += [module for package in AGENT_PACKAGES for module in sorted((PACKAGE / package).glob("*.py"))]
    return {module.relative_to(root).as_posix(): module.read_text() for module in modules}

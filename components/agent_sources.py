"""The health agent's code as it ships to a node, read from the checkout for the core to place."""

from __future__ import annotations

from core.paths import AGENT_PACKAGES
from core.project import REPO


def agent_sources() -> dict[str, str]:
    """Path under the agent's directory on the node (`node_agent/agent.py`) → source, every module of
    every package it runs."""
    return {
        f"{package}/{module.name}": module.read_text()
        for package in AGENT_PACKAGES
        for module in sorted((REPO / package).glob("*.py"))
    }

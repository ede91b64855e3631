"""Where each node serves its metrics (the health agent's `/metrics`, scraped by Prometheus)."""

from __future__ import annotations

from pydantic import Field

from .model_base import Bool, Frozen, Int

METRICS_PORT = 9955
"""TCP, on the node's own address (the template share's UDP port's neighbour, easy to open together)."""


class Metrics(Frozen):
    enabled: Bool = True
    """The agent serves `http://<node address>:<port>/metrics` (and keeps writing node_exporter's textfile)."""
    port: Int = Field(METRICS_PORT, ge=1, le=65535)

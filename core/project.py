"""The project's name and where its checkout lies.

`ha-udp-lb` is the one spelling: the prefix of every stack config key (`ha-udp-lb:nodes`), of the
component types and of every path on a node. Where a name cannot hold a hyphen (an nftables table, a
Prometheus metric, an environment variable) it is `ha_udp_lb` / `HA_UDP_LB`."""

from pathlib import Path

PROJECT = "ha-udp-lb"

REPO = Path(__file__).resolve().parent.parent
"""The checkout: its templates, stacks, node agent and docker build context."""

"""The project's name, where its package lies and the checkout around it.

`ha-udp-lb` is the one spelling: the prefix of every stack config key (`ha-udp-lb:nodes`), of the
component types and of every path on a node. Where a name cannot hold a hyphen (an nftables table, a
Prometheus metric, an environment variable) it is `ha_udp_lb` / `HA_UDP_LB`."""

from pathlib import Path

PROJECT = "ha-udp-lb"

PACKAGE = Path(__file__).resolve().parent.parent
"""The `ha_udp_lb` package: its templates, node agent and image build context ship inside it (package data)."""

REPO = PACKAGE.parent
"""The checkout around the package, when run from one: its stacks, toolchain, lab state and program."""

"""`python -m ha_udp_lb.lab` is the `ha-udp-lb` command (ha_udp_lb.lab.cli), for a checkout without the
console script."""

import sys

from .cli import main

sys.exit(main())

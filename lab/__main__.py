"""`python -m lab` is the `ha-udp-lb` command (lab.cli), for a checkout without the console script."""

import sys

from .cli import main

sys.exit(main())

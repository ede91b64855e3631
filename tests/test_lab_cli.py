"""`ha-udp-lb lab`'s refusals that need no lab: the routed lab's options (BFD timers, the router's
daemon) given for a VRRP stack are refused before anything is built, not silently ignored."""

from __future__ import annotations

import pytest

from ha_udp_lb.lab.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["lab", "up", "--stack", "dev", "--router", "bird"],
        ["lab", "up", "--stack", "dev", "--bfd-ms", "20"],
        ["lab", "drill", "--stack", "dev", "--scenario", "link-cut", "--bfd-multiplier", "6"],
    ],
)
def test_the_routed_labs_options_are_refused_for_a_vrrp_stack(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    flag = next(arg for arg in argv if arg.startswith("--") and arg not in ("--stack", "--scenario"))
    assert f"{flag}: only for routing bgp stacks; stack dev runs VRRP" in capsys.readouterr().err

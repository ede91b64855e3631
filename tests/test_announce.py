"""routing bgp, the agent's announcement decided (node_agent.announce): withdrawn within one turn of the
plane failing, not announced again until it has served for SETTLE_NS, and at once when the agent
starts on a node that can serve (a deploy restarts it; the routers must not see every node leave).
The kernel and `ip` are stood in for; the routed lab drills the real ones (tests/test_routed.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ha_udp_lb.node_agent import commands, kernel, sessions
from ha_udp_lb.node_agent.announce import SETTLE_NS, Announcer

MS = 1_000_000


class Node:
    """What the announcer reads and runs: the table, forwarding, the drain file, `ip addr`."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.table = True
        self.forwarding = tmp / "ip_forward"
        self.forwarding.write_text("1\n")
        self.drain = tmp / "drain"
        self.on_lo: set[str] = set()
        self.resets: list[tuple[list[str], bool]] = []
        """Each reset of the BGP sessions: to which routers, and whether the VIPs were still on lo."""
        monkeypatch.setattr(kernel, "loaded", lambda table: self.table)
        monkeypatch.setattr(commands, "run", self._ip)
        monkeypatch.setattr(sessions, "abort_bgp_sessions", self._reset)
        self.announcer = Announcer(
            ["198.18.1.100"],
            "ha_udp_lb",
            str(self.drain),
            str(tmp / "announced"),
            [str(self.forwarding)],
            [],
            ["198.18.11.1"],
        )

    def _reset(self, routers: list[str]) -> int:
        self.resets.append((routers, bool(self.on_lo)))
        return len(routers)

    def _ip(self, argv: list[str]) -> str | None:
        verb, address = argv[3], argv[4].split("/")[0]
        if verb == "replace":
            self.on_lo.add(address)
        else:
            self.on_lo.discard(address)
        return None

    def at(self, ms: float) -> bool:
        self.announcer.follow(int(ms * MS))
        return "198.18.1.100" in self.on_lo


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    return Node(tmp_path, monkeypatch)


def test_a_node_that_can_serve_announces_at_once_when_the_agent_starts_and_stays(node: Node) -> None:
    assert node.at(0)
    assert (Path(node.announcer.state_file)).read_text() == "198.18.1.100\n"
    # Until a fault: the settling is for a node coming back, not one that never left (it withdrew 10 ms
    # after every agent start until the next SETTLE_NS).
    assert all(node.at(ms) for ms in range(10, int(2 * SETTLE_NS / MS), 10))


@pytest.mark.parametrize("fault", ["table", "forwarding", "drain"])
def test_each_fault_withdraws_at_the_next_turn_and_health_returns_only_after_settling(node: Node, fault: str) -> None:
    assert node.at(0)

    def set_fault(on: bool) -> None:
        if fault == "table":
            node.table = not on
        elif fault == "forwarding":
            node.forwarding.write_text("0\n" if on else "1\n")
        elif on:
            node.drain.touch()
        else:
            node.drain.unlink()

    set_fault(True)
    if fault == "table":  # one look that finds it missing is not enough: the kernel's answer could be odd
        assert node.at(10)
    assert not node.at(20)
    assert not node.at(40)
    set_fault(False)
    assert not node.at(60)
    assert not node.at(60 + SETTLE_NS / MS - 1)
    assert node.at(60 + SETTLE_NS / MS)
    # A node that cannot serve also resets its sessions, once, after its VIPs are off lo (so bgpd, when it
    # connects again, has nothing to announce); a drained one still forwards: its sessions stay.
    assert node.resets == ([] if fault == "drain" else [(["198.18.11.1"], False)])


def test_one_odd_answer_withdraws_nothing(node: Node) -> None:
    assert node.at(0)
    node.table = False
    assert node.at(10)
    node.table = True
    assert node.at(20) and node.at(30)


def test_a_node_that_cannot_serve_at_start_does_not_announce(node: Node) -> None:
    node.table = False
    assert not node.at(0)
    node.table = True
    assert not node.at(20) and node.at(20 + SETTLE_NS / MS)


def test_with_vrrp_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(commands, "run", lambda argv: pytest.fail(f"ran {argv}"))
    idle = Announcer.from_config(None)
    assert idle.follow(0) > 0 and idle.metrics() == ""

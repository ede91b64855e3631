"""The health agent under faults it must ride out (issue 29): a step that raises costs only that step,
a table that seems gone for one look fails nothing over, and the agent never writes while `apply` holds
the node's lock. (A change nginx refuses, retried until it lands, is drilled on the real daemons:
tests/test_agent_reconciles.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ha_udp_lb.core.project import REPO
from ha_udp_lb.node_agent import kernel
from ha_udp_lb.node_agent.kernel import KernelPool
from ha_udp_lb.node_agent.kernel_plane import TABLE_EVERY_NS, KernelPlane
from ha_udp_lb.node_agent.lock import held
from ha_udp_lb.node_agent.report import keep_bounded
from ha_udp_lb.node_agent.steps import isolated
from tests.agent_soak import FAULTS


def test_a_step_that_raises_is_counted_and_gives_way_to_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    errors: dict[str, int] = {}

    def http_check(path: str) -> bool:
        path.encode("ascii")  # what a non-ASCII path did to every turn before the reader refused it
        return True

    results = [isolated(errors, "check", http_check, False, "/café") for _ in range(150)]
    assert results == [False] * 150 and errors == {"check": 150}
    assert isolated(errors, "check", http_check, False, "/health") is True
    assert capsys.readouterr().err.count("check failed") == 2, "logged the 1st and the 101st, not every time"


@pytest.fixture
def plane(tmp_path: Path) -> KernelPlane:
    pool = KernelPool("ha_udp_lb", "p_netflow", "/etc/ha-udp-lb/kernel.nft", [("a:1", "198.18.0.21", 1)], [1], 8191)
    return KernelPlane({"netflow": pool}, str(tmp_path / "kernel.down"), {"netflow": {"a:1"}})


def test_the_table_is_missing_only_when_the_kernel_says_so_twice_in_a_row(
    plane: KernelPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: Iterator[bool | None] = iter([True, None, False, None, True, False, False])
    monkeypatch.setattr(kernel, "loaded", lambda table: next(answers))
    monkeypatch.setattr(kernel, "handle", lambda table: 0)
    told = []
    for look in range(7):
        plane.watch((look + 1) * TABLE_EVERY_NS)
        told.append(Path(plane.down_file).read_text().strip())
    assert told == ["0", "0", "0", "0", "0", "0", "1"]


def test_a_table_loaded_again_is_told_once_and_a_silent_look_is_not_a_new_table(
    plane: KernelPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes the agent replay templates the moment a deploy's `apply` loads a new ruleset."""
    handles = iter([5, 5, 9, 9, 0, 9])
    monkeypatch.setattr(kernel, "loaded", lambda table: True)
    monkeypatch.setattr(kernel, "handle", lambda table: next(handles))
    told = []
    for look in range(6):
        plane.watch((look + 1) * TABLE_EVERY_NS)
        told.append(plane.take_replaced())
    assert told == [False, False, True, False, False, False]


def test_the_agent_never_writes_while_apply_holds_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    # As apply.sh holds it, with flock(1); its child inherits the lock, so both go at the end.
    apply = subprocess.Popen(["flock", str(lock), "sleep", "30"], start_new_session=True)
    try:
        for _ in range(100):
            with held(str(lock)) as ours:
                if not ours:
                    break
            time.sleep(0.01)
        with held(str(lock)) as ours:
            assert not ours
    finally:
        os.killpg(apply.pid, signal.SIGKILL)
        apply.wait()
    with held(str(lock)) as ours:
        assert ours


def test_a_log_file_is_cut_to_its_last_quarter_once_it_passes_its_limit(tmp_path: Path) -> None:
    """Where no journal takes the agent's log (containers, the lab), it goes to a file opened for appending."""
    path = tmp_path / "health.log"
    path.write_bytes(b"".join(b"old line %07d\n" % i for i in range(100_000)))  # 1.6 MB
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        keep_bounded(descriptor, limit=1 << 20)
        os.write(descriptor, b"new line\n")
    finally:
        os.close(descriptor)
    lines = path.read_bytes().splitlines()
    assert path.stat().st_size < 300_000 and lines[0].endswith(b"(log cut to its last quarter)")
    assert lines[1].startswith(b"old line ") and lines[-2] == b"old line 0099999" and lines[-1] == b"new line"


@pytest.mark.daemons
def test_ten_thousand_turns_with_faults_on_every_path_stall_nothing_and_fail_nothing_over(tmp_path: Path) -> None:
    """The real agent in a namespace of its own (tests/agent_soak.py): netlink silent, nft and nginx
    refusing, checks and echoes raising, the disk full, each some of the time, for 10,000 turns."""
    soak = ["unshare", "--net", sys.executable, "-m", "tests.agent_soak", str(tmp_path), "10000"]
    run = subprocess.run(soak, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.splitlines()[-1])
    print(json.dumps(result))
    assert all(result["injected"][fault] > 0 for fault in FAULTS), result["injected"]
    assert result["slowest_turn_s"] < 0.5, "a turn stalled"
    assert "1" not in result["kernel_down_told"], "keepalived was told the table is gone: a spurious failover"
    assert result["in_step"], "the agent did not catch up once the faults stopped"
    # What it believes is what the kernel runs: the flapping collector has slots exactly while it is up.
    assert (result["slots"]["second"] > 0) == result["second_up_in_the_view"], result["slots"]
    assert sum(result["slots"].values()) == 8191 and result["slots"]["first"] > 0

"""The lab's router as BIRD 2 runs it (one daemon, its BFD in a thread of its own; router.bird.conf.j2),
and what BIRD says."""

from __future__ import annotations

from pathlib import Path

from ..host.control import sh_in
from ..host.sandbox import launch
from ..host.state import RouterState

SOCKET = "/run/bird/bird.ctl"
PID_FILE = "/run/bird/bird.pid"
# BIRD's BFD runs in its own thread, started with the BFD protocol: it alone goes real-time, above the
# busy loops of a saturated run and below nothing else of BIRD's (as the FRR router's bfdd).
START = f"""mkdir -p /run/bird
bird -c /etc/bird/bird.conf -s {SOCKET} -P {PID_FILE}
# The daemon writes its pid file after the command returns: read before, no thread was ever made real-time.
for _ in $(seq 50); do [ -s {PID_FILE} ] && break; sleep 0.1; done
pid=$(cat {PID_FILE})
for _ in $(seq 50); do [ "$(ls /proc/$pid/task | wc -l)" -gt 1 ] && break; sleep 0.1; done
for task in /proc/$pid/task/*; do [ "${{task##*/}}" = "$pid" ] || chrt -r -p 50 "${{task##*/}}"; done
"""


def start(netns: str, home: Path, conf: str) -> tuple[int, Path]:
    root, scratch = home / "root", home / "scratch"
    (root / "etc" / "bird").mkdir(parents=True)
    (root / "etc" / "bird" / "bird.conf").write_text(conf)
    scratch.mkdir(parents=True)
    (scratch / "commands.sh").write_text(START)
    return launch(netns, root, scratch, "router.log"), scratch


def birdc(router: RouterState, command: str) -> str:
    return sh_in(router.init_pid, f"birdc -s {SOCKET} {command}", timeout=10).stdout


def bfd_unready(router: RouterState, addresses: list[str]) -> list[str]:
    # Each line: address, interface, state, since, the interval it sends at, its detection time (s).
    # Both drop below a second only once the ends have agreed their timers (slow start at 1 s, RFC 5880
    # 6.8.3); the lab's timers are all far below.
    ready = set()
    for line in birdc(router, "show bfd sessions").splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[2] == "Up" and float(fields[-2]) < 1 and float(fields[-1]) < 1:
            ready.add(fields[0])
    return [address for address in addresses if address not in ready]

"""PID 1 of a lab node (run as a plain script, no project imports): runs the node's commands, then
reaps every process its daemons orphan, as an init system would, so a dead nginx never lingers as a
zombie. When it exits, the kernel ends every process of the node's PID namespace.

Usage: node_init.py COMMANDS_SCRIPT LOG_FILE EXIT_FILE
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def main() -> None:
    commands, log, exit_file = sys.argv[1:4]
    with Path(log).open("ab", buffering=0) as out:
        first = subprocess.Popen(["sh", commands], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wanted = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
    # Blocked only after the fork, so the node's commands start with a clean signal mask; the first
    # pass of the loop reaps whatever exited in between.
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    while True:
        for pid, status in reap():
            if pid == first.pid:
                pending = Path(exit_file + ".tmp")
                pending.write_text(f"{os.waitstatus_to_exitcode(status)}\n")
                pending.replace(exit_file)
        if signal.sigwaitinfo(wanted).si_signo != signal.SIGCHLD:
            return


def reap() -> list[tuple[int, int]]:
    """Every child that has exited, its own or adopted."""
    reaped: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append((pid, status))


if __name__ == "__main__":
    main()

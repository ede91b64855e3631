"""`lab down`: every namespace, link and file the lab made, the processes it runs in the root namespace
(recorded by pid file) and the mounts below its directory (a booted host's root)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import netns
from .control import kill_all
from .state import LAB_DIR


def down() -> list[str]:
    """Remove every namespace, process, link, mount and file the lab made; returns what was removed."""
    supervised = stop_supervised()
    namespaces, links = netns.lab_namespaces(), netns.lab_links()
    for ns in namespaces:
        kill_all(ns)
    unmounted = unmount_under(LAB_DIR)
    remove_cgroups()
    netns.remove(namespaces, links)
    if LAB_DIR.exists():
        shutil.rmtree(LAB_DIR, ignore_errors=True)
    return supervised + namespaces + unmounted + links


PIDS = LAB_DIR / "pids"
"""Processes the lab runs in the root namespace (a booted host's supervisor, the apt proxy), each the
leader of its own process group: `down` kills the group."""


def stop_supervised() -> list[str]:
    stopped = []
    for pid_file in sorted(PIDS.glob("*.pid")) if PIDS.exists() else []:
        try:
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            stopped.append(pid_file.stem)
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink()
    return stopped


def unmount_under(directory: Path) -> list[str]:
    """Every mount below `directory` (a booted host's root), deepest first."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    inside = sorted((m for m in mounts if m.startswith(f"{directory}/")), key=len, reverse=True)
    for mount in inside:
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
    return inside


def remove_cgroups(timeout: float = 10) -> list[str]:
    """The cgroups a booted host ran in (lab.hosts.machine.own_cgroups), deepest first, once the killed
    processes in them have exited (a cgroup with a process left in it cannot go). Returns what stayed."""
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for root in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup")):
            for group in sorted(root.glob(f"{netns.PREFIX}-*")) if root.is_dir() else []:
                directories = [d for d in group.rglob("*") if d.is_dir()]
                for directory in sorted([*directories, group], key=lambda d: -len(d.parts)):
                    try:
                        directory.rmdir()
                    except OSError:
                        left.append(str(directory))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)

"""A minimal bootable Debian root per suite, made once with mmdebstrap and kept: systemd, sshd,
iproute2 and sudo (for a stack whose ssh.user is not root), nothing of what the program installs
(nginx, keepalived, nftables, python3)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from ha_udp_lb.core.project import REPO

CACHE = REPO / "out" / "hosts"
"""Kept across labs (not under the lab's directory, which `lab down` removes)."""
SUITES = {"bookworm": "Debian 12", "trixie": "Debian 13"}
MIRROR = "http://deb.debian.org/debian"
"""The host's own mirror: where the booted hosts' apt goes (through the lab's apt proxy)."""
INCLUDE = ("systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "sudo")


class RootfsError(RuntimeError):
    pass


def cached_root(suite: str) -> Path:
    """The suite's root directory, made on first use (about 30 s)."""
    if suite not in SUITES:
        raise RootfsError(f"suite {suite!r}: the lab boots {', '.join(f'{s} ({n})' for s, n in SUITES.items())}")
    # Named after what it includes, so that a root made before a package joined INCLUDE is not used.
    root = CACHE / suite / f"root-{hashlib.sha256(','.join(INCLUDE).encode()).hexdigest()[:12]}"
    if (root / "etc" / "os-release").exists():
        return root
    for older in CACHE.glob(f"{suite}/root*"):
        shutil.rmtree(older, ignore_errors=True)
    partial = root.with_name("root.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    argv = ["mmdebstrap", "--quiet", "--variant=minbase", f"--include={','.join(INCLUDE)}", suite, str(partial), MIRROR]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise RootfsError(f"mmdebstrap {suite} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    partial.rename(root)
    return root

"""The Docker engine the check talks to: the one already running, or one it starts (and stops) itself
with every address in 198.18.0.0/15 and its hands off the host's firewall and forwarding."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ha_udp_lb.core.project import REPO

ENGINE_DIR = REPO / "out" / "docker-engine"
DAEMON_CONFIG = {
    "bip": "198.19.254.1/24",
    "default-address-pools": [{"base": "198.19.0.0/17", "size": 24}],
    "iptables": False,
    "ip-forward": False,
}
"""Only the benchmarking range (RFC 2544), never a private one; no NAT rules, no host forwarding."""
START_TIMEOUT_S = 60
DEVCONF_INHERIT = Path("/proc/sys/net/core/devconf_inherit_init_net")


class DockerError(RuntimeError):
    pass


def docker(*args: str, stdin: bytes | None = None, timeout: float = 600) -> str:
    """The Docker CLI; its stderr in the error when it fails."""
    result = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise DockerError(f"docker {' '.join(args[:4])}: {result.stderr.decode().strip()[-1500:]}")
    return result.stdout.decode()


def logs(container: str, lines: int = 40) -> str:
    """The end of a container's output, stdout and stderr as it wrote them."""
    argv = ["docker", "logs", "--tail", str(lines), container]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False).stdout


def running() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode == 0
    )


@contextmanager
def engine() -> Iterator[None]:
    """A reachable Docker engine for the duration; one this started is stopped afterwards."""
    if running():
        yield
        return
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        raise DockerError("no Docker engine is running and none is installed: `apt-get install docker.io` (make setup)")
    had_bridge = Path("/sys/class/net/docker0").exists()
    ENGINE_DIR.mkdir(parents=True, exist_ok=True)
    config = ENGINE_DIR / "daemon.json"
    config.write_text(json.dumps(DAEMON_CONFIG, indent=2) + "\n")
    log = ENGINE_DIR / "dockerd.log"
    with log.open("ab") as out:
        daemon = subprocess.Popen(
            ["dockerd", "--config-file", str(config), "--pidfile", str(ENGINE_DIR / "dockerd.pid")],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not running():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise DockerError(f"dockerd did not start (see {log}):\n{log.read_text()[-1500:]}")
            time.sleep(0.2)
        yield
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        if not had_bridge:  # dockerd leaves its default bridge behind, address and all
            subprocess.run(["ip", "link", "del", "docker0"], capture_output=True, check=False)


@contextmanager
def kernel_default_namespaces() -> Iterator[None]:
    """Network namespaces made meanwhile (the containers') start from the kernel's defaults for every
    net.ipv4/ipv6 conf sysctl, not from this host's: a host with arp_ignore=1 would otherwise give it
    to every container and hide what a container left at the defaults does. Put back afterwards."""
    before = DEVCONF_INHERIT.read_text().strip()
    DEVCONF_INHERIT.write_text("2")
    try:
        yield
    finally:
        DEVCONF_INHERIT.write_text(before)

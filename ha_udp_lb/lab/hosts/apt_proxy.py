"""The booted hosts reach the Debian mirror the way the host does, through apt-cacher-ng listening on
the lab's management bridge only: the hosts get no route out, and the packages every host installs
are downloaded once and kept across labs."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from ..host.state import LAB_DIR
from .rootfs import CACHE, MIRROR

PORT = 3142
CONFIG = """\
CacheDir: {cache}
LogDir: {logs}
SupportDir: /usr/lib/apt-cacher-ng
BindAddress: {address}
Port: {port}
ForeGround: 1
Remap-debrep: file:deb_mirror*.gz /debian ; file:backends_debian
Remap-secdeb: security.debian.org deb.debian.org/debian-security
ExThreshold: 4
"""


def start(address: str, pid_file: Path) -> str:
    """apt-cacher-ng on `address`; its pid in `pid_file` (the lab's `down` stops it). Returns the
    proxy's URL for the hosts' apt."""
    home = LAB_DIR / "apt-proxy"
    cache, logs = CACHE / "apt-cacher-ng", home / "log"
    for directory in (home, cache, logs):
        directory.mkdir(parents=True, exist_ok=True)
    (home / "acng.conf").write_text(CONFIG.format(cache=cache, logs=logs, address=address, port=PORT))
    # Every Debian mirror URL the hosts ask for is fetched from the host's mirror.
    (home / "backends_debian").write_text(f"{MIRROR}/\n")
    with (home / "out.log").open("ab") as out:
        proxy = subprocess.Popen(
            ["apt-cacher-ng", "-c", str(home)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{proxy.pid}\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, PORT), timeout=1).close()
            return f"http://{address}:{PORT}"
        except OSError:
            if proxy.poll() is not None:
                break
            time.sleep(0.05)
    raise RuntimeError(f"apt-cacher-ng is not listening on {address}:{PORT}:\n{(home / 'out.log').read_text()[-1500:]}")

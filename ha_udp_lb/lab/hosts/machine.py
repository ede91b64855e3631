"""One booted host: the suite's cached root under a writable overlay of its own, booted by
systemd-nspawn in the node's network namespace with systemd as PID 1, sshd answering the lab's key.
A supervisor restarts nspawn when the host reboots itself (exit 133), as a hypervisor would."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..host.control import sh_in
from ..host.netns import PREFIX, ip

BOOT_TIMEOUT_S = 60
REBOOT_EXIT = 133
"""systemd-nspawn's exit status when the container asked to reboot."""


class BootError(RuntimeError):
    pass


@dataclass(frozen=True)
class Login:
    """Who the program logs in as (the node's `ssh.user`) and the key it shows."""

    user: str
    public_key: str


@dataclass(frozen=True)
class Machine:
    name: str
    netns: str
    home: Path
    """Its overlay (upper, work, merged), console log and scratch directory."""

    @property
    def root(self) -> Path:
        return self.home / "merged"

    @property
    def scratch(self) -> Path:
        """Bound into the host at the same path: what the drills write on the host, the lab reads."""
        return self.home / "scratch"

    @property
    def console(self) -> Path:
        return self.home / "console.log"

    @property
    def host_key(self) -> str:
        """Its sshd's ed25519 public key, as `ssh-keyscan -t ed25519` would report it."""
        kind, blob, *_ = (self.root / "etc" / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()
        return f"{kind} {blob}"


def boot(machine: Machine, lower: Path, login: Login, apt_proxy: str, pid_file: Path) -> int:
    """Boot `machine` from the root `lower` and wait until systemd says it is running and sshd is up;
    returns its PID 1 as the host sees it. The supervisor's pid goes to `pid_file`."""
    for directory in ("upper", "work", "merged", "scratch"):
        (machine.home / directory).mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={lower},upperdir={machine.home / 'upper'},workdir={machine.home / 'work'}"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(machine.root)], check=True)
    _provision(machine, login, apt_proxy)
    nspawn = [
        "systemd-nspawn",
        "--quiet",
        "--boot",
        "--register=no",
        "--keep-unit",
        f"--machine={machine.name}",
        # keepalived, nftables and the sysctls need it; nspawn grants it only with a network it made.
        "--capability=CAP_NET_ADMIN",
        f"--network-namespace-path=/run/netns/{machine.netns}",
        f"--bind={machine.scratch}",
        f"--directory={machine.root}",
    ]
    # Each host in cgroups of its own: nspawn puts its payload below the cgroup it starts in, and hosts
    # that shared one would each see (and kill, and wait for) the others' units' processes.
    enter = "".join(f"echo $$ > {shlex.quote(str(group))}/cgroup.procs; " for group in own_cgroups(machine.name))
    loop = f"{enter}while :; do {shlex.join(nspawn)}; [ $? -eq {REBOOT_EXIT} ] || exit; done"
    with machine.console.open("ab") as console:
        supervisor = subprocess.Popen(
            ["sh", "-c", loop],
            stdout=console,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                # /proc/sys/net writable: the program sets its sysctls there, as on any host.
                "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network",
                # cgroup v2 inside, whatever this machine runs: Debian 13's systemd no longer supports v1,
                # and on this machine's hybrid layout it never hears that a killed unit's cgroup emptied,
                # so it neither finishes stopping it nor restarts it.
                "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1",
            },
        )
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(f"{supervisor.pid}\n")
    return wait_running(machine)


CGROUP_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup"))
"""Where a host's own cgroups go: the cgroup v2 hierarchy (hybrid or unified layout) and systemd's
named v1 hierarchy, where they exist."""


def own_cgroups(name: str) -> list[Path]:
    roots = [root for root in CGROUP_ROOTS if (root / "cgroup.procs").exists()]
    unified = [root for root in roots if (root / "cgroup.controllers").exists()][:1]
    named = [root for root in roots if root.name == "systemd"]
    groups = [root / f"{PREFIX}-{name}" for root in unified + named]
    for group in groups:
        group.mkdir(exist_ok=True)
    return groups


def wait_running(machine: Machine, timeout: float = BOOT_TIMEOUT_S) -> int:
    """PID 1 of the booted host once `systemctl is-system-running` says so and sshd listens."""
    deadline = time.monotonic() + timeout
    said = ""
    while time.monotonic() < deadline:
        pid = init_pid(machine.netns)
        if pid:
            probe = "systemctl is-system-running; ss -Hltn 'sport = :22' | wc -l"
            try:
                said = sh_in(pid, probe, timeout=10).stdout
            except subprocess.TimeoutExpired:
                continue
            state, _, listening = said.partition("\n")
            if state in ("running", "degraded") and listening.strip() not in ("", "0"):
                return pid
        time.sleep(0.2)
    raise BootError(f"{machine.name} not running after {timeout} s ({said.strip()!r}); console:\n" + _tail(machine))


def init_pid(netns: str) -> int | None:
    """The host PID of the booted host's PID 1 in `netns` (it changes when the host reboots)."""
    for pid in ip("netns", "pids", netns, check=False).stdout.split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        nspid = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
        if nspid[-1:] == ["1"] and len(nspid) > 1:
            return int(pid)
    return None


def _provision(machine: Machine, login: Login, apt_proxy: str) -> None:
    """What a site's provisioning gives a new host: its name, the login's key (a user other than root
    made, with sudo without a password, as operators set up a deploy user), the apt proxy, and host
    keys of its own (the cached root's were made once, for every host booted from it)."""
    root = machine.root
    for old in (root / "etc" / "ssh").glob("ssh_host_*"):
        old.unlink()
    subprocess.run(["ssh-keygen", "-A", "-f", str(root)], check=True, capture_output=True)
    (root / "etc" / "hostname").write_text(f"{machine.name}\n")
    home = root / "root"
    if login.user != "root":
        subprocess.run(["useradd", "--root", str(root), "--create-home", "--shell", "/bin/sh", login.user], check=True)
        home = root / "home" / login.user
        sudoers = root / "etc" / "sudoers.d" / "lab-deploy"
        sudoers.write_text(f"{login.user} ALL=(root) NOPASSWD: ALL\n")
        sudoers.chmod(0o440)
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    (ssh / "authorized_keys").write_text(login.public_key)
    (ssh / "authorized_keys").chmod(0o600)
    owner = home.stat()
    for path in (ssh, ssh / "authorized_keys"):
        os.chown(path, owner.st_uid, owner.st_gid)
    (root / "etc" / "apt" / "apt.conf.d" / "00proxy").write_text(f'Acquire::http::Proxy "{apt_proxy}";\n')


def _tail(machine: Machine) -> str:
    return machine.console.read_text(errors="replace")[-2000:] if machine.console.exists() else ""

"""A node's world on this machine: its network namespace, plus a mount namespace in which the node's
files are overlaid on the host's directories (the host's own files are never touched) and /run is private."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

NODE_INIT = Path(__file__).resolve().parent / "node_init.py"


def node_argv(netns: str, root: Path, scratch: Path, command: str, *, pid_namespace: bool = False) -> list[str]:
    """argv running `command` (a shell string) in `netns`, with the files under `root` overlaid on
    the host's top-level directories (writes go to `scratch`), a private /run and /var/log/nginx."""
    mounts = ["set -e", "mount --make-rprivate /"]
    # /etc and /var are always writable overlays, so a node's commands can install and log as on a host.
    for top in sorted({"etc", "usr", "var"} | {p.name for p in root.iterdir() if p.is_dir()}):
        upper, work = scratch / "upper" / top, scratch / "work" / top
        upper.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        lower = f"{root / top}:/{top}" if (root / top).is_dir() else f"/{top}"
        options = f"lowerdir={lower},upperdir={upper},workdir={work}"
        mounts.append(f"mount -t overlay overlay -o {shlex.quote(options)} /{top}")
    logs = scratch / "log"
    logs.mkdir(parents=True, exist_ok=True)
    mounts += [
        "mount -t tmpfs -o mode=0755 tmpfs /run",
        f"mount --bind {shlex.quote(str(logs))} /var/log/nginx",
        f"exec {command}",
    ]
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if pid_namespace:
        # PID 1 of the node reaps what its daemons orphan, and its death ends them all.
        unshare += ["--pid", "--fork", "--mount-proc", "--kill-child"]
    return ["ip", "netns", "exec", netns, *unshare, "sh", "-c", "\n".join(mounts)]


def run_in_node(
    netns: str, root: Path, scratch: Path, command: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        node_argv(netns, root, scratch, command), capture_output=True, text=True, timeout=timeout, check=False
    )


def launch(ns: str, root: Path, scratch: Path, log_name: str) -> int:
    """`scratch`/commands.sh run in `ns` by a PID 1 of its own, `root` overlaid on the host's files (a
    node, the routed lab's router); that PID on the host. Its exit code lands in `scratch`/commands.exit."""
    init = f"{sys.executable} {NODE_INIT} {scratch}/commands.sh {scratch}/{log_name} {scratch}/commands.exit"
    with (scratch / "launcher.log").open("ab") as log:
        launcher = subprocess.Popen(
            node_argv(ns, root, scratch, init, pid_namespace=True),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return child_of(launcher.pid)


def child_of(pid: int, timeout: float = 5) -> int:
    """unshare --fork's child is the node's PID 1; this is its PID on the host."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = children.read_text().split()
        except FileNotFoundError as gone:
            raise RuntimeError(f"the node launcher (pid {pid}) exited at once") from gone
        if found:
            return int(found[0])
        time.sleep(0.01)
    raise RuntimeError(f"the node launcher (pid {pid}) started no init within {timeout} s")

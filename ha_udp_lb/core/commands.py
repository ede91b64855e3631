"""The shell commands Pulumi runs on an ssh node, in order. Pure strings, so synth and reviews see them."""

from __future__ import annotations

import shlex

from .paths import PATHS

# Debian/Ubuntu and RHEL-family names for the same packages.
# python3 runs the collector-health agent (node_agent, stdlib only); util-linux's unshare validates;
# nftables is the kernel data plane.
APT_PACKAGES = (
    "nginx-light",
    "libnginx-mod-stream",
    "iproute2",
    "procps",
    "python3",
    "util-linux",
    "nftables",
)
DNF_PACKAGES = ("nginx", "nginx-mod-stream", "iproute", "procps-ng", "python3", "util-linux", "nftables")
ROUTING_PACKAGES = {"vrrp": (("keepalived",), ("keepalived",)), "bgp": (("frr", "frr-pythontools"), ("frr",))}
"""The routing mode's daemons (apt, dnf): keepalived, or FRR with the tools its reload needs."""


def install_command(routing: str = "vrrp") -> str:
    apt_routing, dnf_routing = ROUTING_PACKAGES[routing]
    # Third on the line, where keepalived always was: an existing stack's install step stays unchanged.
    apt = " ".join((*APT_PACKAGES[:2], *apt_routing, *APT_PACKAGES[2:]))
    dnf = " ".join((*DNF_PACKAGES[:2], *dnf_routing, *DNF_PACKAGES[2:]))
    return (
        "set -eu; "
        "if command -v apt-get >/dev/null; then "
        f"dpkg-query -W {apt} >/dev/null 2>&1 || "
        f"{{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {apt}; }}; "
        "elif command -v dnf >/dev/null; then "
        f"rpm -q {dnf} >/dev/null 2>&1 || dnf install -y -q {dnf}; "
        "else echo 'ha-udp-lb: neither apt-get nor dnf found; "
        f"install nginx (stream module) and {apt_routing[0]}' >&2; "
        "exit 1; fi"
    )


def prepare_command(user: str = "root") -> str:
    """Staging directories for the uploads, made once, that only `user` (who uploads) and root can
    read. Never emptied: an upload runs only when its file changed, so the others must still be there;
    `apply` reads only the files it lists and installs each as root's.
    Then one more owner of the node (PATHS.owners): Pulumi creates a renamed, re-parented or
    `--replace`d staging step before it deletes the old one, and that delete, the node's teardown,
    must then leave the node to the new one. A node staged before owners were counted has one."""
    owners, staging = shlex.quote(PATHS.owners), shlex.quote(PATHS.staging)
    return (
        f"set -eu; n=$(cat {owners} 2>/dev/null || echo 0); [ -s {owners} ] || ! [ -d {staging} ] || n=1; "
        f"{_make_staging(user)} && echo $((n + 1)) > {owners}.new && mv -f {owners}.new {owners}"
    )


def update_command(user: str = "root") -> str:
    """The staging step changed in place (a newer program, another `ssh.user`): the directories again,
    the owners as they were."""
    return f"set -eu; {_make_staging(user)}"


def _make_staging(user: str) -> str:
    directories = " ".join(shlex.quote(PATHS.staging + directory) for directory in PATHS.directories)
    if user == "root":
        return f"install -d -m 0700 {directories}"
    # Handed over whole: files a former ssh.user uploaded would refuse this one's overwrites.
    return f"install -d -m 0700 -o {user} {directories} && chown -R {user} {shlex.quote(PATHS.staging)}"


def as_root(command: str, user: str) -> str:
    """`command` run as root by `user` over SSH: as it is for root; for another user through `sudo -n`
    (Pulumi has no terminal to type a password into), saying what the user lacks when sudo cannot."""
    if user == "root":
        return command
    fix = (
        f"ha-udp-lb: ssh.user {user} needs sudo without a password on $(hostname): install sudo and add "
        f"'{user} ALL=(root) NOPASSWD: ALL' to /etc/sudoers.d/ha-udp-lb (visudo -f), or connect as root"
    )
    return (
        f'sudo -n true 2>/dev/null || {{ echo "{fix}" >&2; exit 1; }}; '
        f"exec sudo -n sh -c {shlex.quote(command)}"
    )


def apply_command() -> str:
    return f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"

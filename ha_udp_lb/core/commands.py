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


def prepare_command() -> str:
    """Root-only staging directories for the uploads, made once. Never emptied: an upload runs only
    when its file changed, so the others must still be there; `apply` reads only the files it lists.
    Then one more owner of the node (PATHS.owners): Pulumi creates a renamed, re-parented or
    `--replace`d staging step before it deletes the old one, and that delete, the node's teardown,
    must then leave the node to the new one. A node staged before owners were counted has one."""
    owners, staging = shlex.quote(PATHS.owners), shlex.quote(PATHS.staging)
    return (
        f"set -eu; n=$(cat {owners} 2>/dev/null || echo 0); [ -s {owners} ] || ! [ -d {staging} ] || n=1; "
        f"{_make_staging()} && echo $((n + 1)) > {owners}.new && mv -f {owners}.new {owners}"
    )


def update_command() -> str:
    """The staging step changed in place (a newer program): the directories again, the owners as they were."""
    return f"set -eu; {_make_staging()}"


def _make_staging() -> str:
    directories = [PATHS.staging + directory for directory in PATHS.directories]
    return "install -d -m 0700 " + " ".join(map(shlex.quote, directories))


def apply_command() -> str:
    return f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"

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
    when its file changed, so the others must still be there; `apply` reads only the files it lists."""
    directories = [PATHS.staging + directory for directory in PATHS.directories]
    return "set -eu; install -d -m 0700 " + " ".join(map(shlex.quote, directories))


def apply_command() -> str:
    return f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"

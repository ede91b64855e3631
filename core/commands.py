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
    "keepalived",
    "iproute2",
    "procps",
    "python3",
    "util-linux",
    "nftables",
)
DNF_PACKAGES = ("nginx", "nginx-mod-stream", "keepalived", "iproute", "procps-ng", "python3", "util-linux", "nftables")


def install_command() -> str:
    apt = " ".join(APT_PACKAGES)
    dnf = " ".join(DNF_PACKAGES)
    return (
        "set -eu; "
        "if command -v apt-get >/dev/null; then "
        f"dpkg-query -W {apt} >/dev/null 2>&1 || "
        f"{{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {apt}; }}; "
        "elif command -v dnf >/dev/null; then "
        f"rpm -q {dnf} >/dev/null 2>&1 || dnf install -y -q {dnf}; "
        "else echo 'ha-udp-lb: neither apt-get nor dnf found; install nginx (stream module) and keepalived' >&2; "
        "exit 1; fi"
    )


def prepare_command() -> str:
    """Root-only staging directories for the uploads, made once. Never emptied: an upload runs only
    when its file changed, so the others must still be there; `apply` reads only the files it lists."""
    directories = [PATHS.staging + directory for directory in PATHS.directories]
    return "set -eu; install -d -m 0700 " + " ".join(map(shlex.quote, directories))


def apply_command() -> str:
    return f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"

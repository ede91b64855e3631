from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    can_namespace = os.geteuid() == 0 and shutil.which("ip") is not None
    have_daemons = all(shutil.which(tool) for tool in ("keepalived", "nginx"))
    have_docker = all(shutil.which(tool) for tool in ("docker", "mmdebstrap")) and (
        shutil.which("dockerd") is not None or Path("/var/run/docker.sock").exists()
    )
    reason = "needs root, iproute2, keepalived and nginx (run .ci/run or `make setup`)"
    if os.environ.get("CI"):
        return  # in CI a missing daemon is a failure, never a skip
    for item in items:
        if ("daemons" in item.keywords or "lab" in item.keywords) and not (can_namespace and have_daemons):
            item.add_marker(pytest.mark.skip(reason=reason))
        if "docker" in item.keywords and not (can_namespace and have_daemons and have_docker):
            item.add_marker(pytest.mark.skip(reason="needs root, docker.io and mmdebstrap (`make setup`)"))

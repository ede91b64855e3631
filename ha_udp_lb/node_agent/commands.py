"""The programs the agent runs (nginx, nft, unshare), each with a time limit: a wedged one must not
stop the agent from probing, judging and reporting."""

from __future__ import annotations

import subprocess

TIMEOUT_S = 10.0


def run(argv: list[str], timeout: float = TIMEOUT_S) -> str | None:
    """None when `argv` succeeded; otherwise what it said, or that it was stopped for taking too long."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{argv[0]} took more than {timeout:g} s and was stopped"
    except OSError as error:
        return f"{argv[0]} could not run: {error}"
    if done.returncode == 0:
        return None
    return (done.stdout + done.stderr).strip() or f"{argv[0]} exited with {done.returncode}"


def output(argv: list[str], timeout: float = TIMEOUT_S) -> str | None:
    """What `argv` printed when it succeeded; None when it failed, could not run or took too long."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return done.stdout if done.returncode == 0 else None

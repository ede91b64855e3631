"""nginx's pool files as the agent changes them: a dead collector's `server` line gets `down`, so
`hash … consistent` moves exactly its exporters, each to one other collector. A change is judged by
`nginx -t` before it goes live and put live with a reload, never a restart, as `apply` does."""

from __future__ import annotations

import re
from pathlib import Path

from . import commands

SERVER = re.compile(r"^(?P<head>\s*server\s+(?P<endpoint>\S+)[^;]*?)(?P<down>\s+down)?;", re.MULTILINE)


def mark_down(text: str, down: set[str]) -> str:
    """`text` (a pool file) with exactly the servers in `down` marked down. Every node with the same
    view writes the same bytes."""

    def line(match: re.Match[str]) -> str:
        return match["head"] + (" down" if match["endpoint"] in down else "") + ";"

    return SERVER.sub(line, text)


def marked_down(text: str) -> set[str]:
    return {match["endpoint"] for match in SERVER.finditer(text) if match["down"]}


def apply(changes: dict[str, str]) -> str | None:
    """Write `changes` ({pool file: new text}) live if nginx accepts them, then reload nginx.
    Returns nginx's complaint instead when it does not, with nothing changed."""
    pending = {}
    for path, text in changes.items():
        candidate = Path(f"{path}.hulb-health")  # not *.conf: nginx's include never sees it
        candidate.write_text(text)
        pending[path] = candidate
    binds = "; ".join(f"mount --bind {candidate} {path}" for path, candidate in pending.items())
    problem = commands.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-eu", "-c", f"{binds}; nginx -t -q"]
    )
    if problem:
        for candidate in pending.values():
            candidate.unlink(missing_ok=True)
        return problem
    for path, candidate in pending.items():
        candidate.replace(path)  # a rename: nginx never reads half a file
    reload = ["systemctl", "reload", "nginx"] if Path("/run/systemd/system").is_dir() else ["nginx", "-s", "reload"]
    return commands.run(reload)

"""One malformed stack config, the key its problem must name, and a fragment of the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    raw: dict[str, Any]
    path: str
    fix: str
    password: str | None = None
    """The vrrpPassword secret, set apart from the stack file as a user sets it."""

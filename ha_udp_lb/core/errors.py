"""The one error a bad stack config raises: every problem, each with its key path, value and fix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    path: str
    """Key path inside the stack config, e.g. `pools[0].backends[1]`."""
    value: Any
    message: str


Findings = Iterator[Problem]
"""What a rule across keys yields: every problem it finds, each with its key and fix."""


class ConfigError(ValueError):
    def __init__(self, problems: list[Problem], prefix: str = "") -> None:
        self.problems = problems
        self.prefix = prefix
        super().__init__(self.render())

    def with_prefix(self, prefix: str) -> ConfigError:
        """The same problems, with paths named as the user writes them (`ha-udp-lb:nodes[1]`)."""
        return ConfigError(self.problems, prefix)

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"the stack config has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  - {self.prefix}{p.path} = {_show(p.value)}: {p.message}" for p in self.problems]
        return "\n".join(lines)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."

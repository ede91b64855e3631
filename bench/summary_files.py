"""The condensed summaries bench/summarize.py prints its tables from (bench/summaries/<run>/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SUMMARIES = Path(__file__).resolve().parent / "summaries"
HOST_RUNS = {"hosts-bookworm": "Debian 12", "hosts-trixie": "Debian 13"}


def summaries_of(run: str, pattern: str = "*.json") -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((SUMMARIES / run).glob(pattern))]


def triple(values: object) -> str:
    assert isinstance(values, dict)
    return f"{values['p50']:.0f} / {values['p95']:.0f} / {values['max']:.0f}"

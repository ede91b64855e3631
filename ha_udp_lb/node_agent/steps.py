"""How the agent's loop survives what it runs: each step isolated and counted, each turn retried."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from . import report

ERROR_PAUSE_S = 0.5
T = TypeVar("T")


def isolated(errors: dict[str, int], step: str, action: Callable[..., T], fallback: T, *args: Any) -> T:
    """`action(*args)`, or `fallback` when it raises: counted in `errors` by step, and logged the first
    time and every 100th, so that a repeating fault neither stops the agent nor floods its log."""
    try:
        return action(*args)
    except Exception:  # one probe, check or action failing must not stop the others
        errors[step] = errors.get(step, 0) + 1
        if errors[step] % 100 == 1:
            trace = traceback.format_exc().strip().replace("\n", " | ")
            report.log(f"{step} failed ({errors[step]} so far), going on: {trace}")
        return fallback


def keep_turning(turn: Callable[[], None], failed: Callable[[], None], pause_s: float = ERROR_PAUSE_S) -> None:
    """Run `turn` for ever. One that fails is logged with its traceback and counted, and the next runs
    after `pause_s`: a bad turn (a file gone, a command refused) must not end the agent, and a repeating
    one must not spin."""
    while True:
        try:
            turn()
        except Exception:  # whatever one turn hit, the next one runs
            report.log("a turn failed, going on: " + traceback.format_exc().strip().replace("\n", " | "))
            failed()
            time.sleep(pause_s)

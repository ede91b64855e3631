"""A node's metrics (the agent's Prometheus text) as values to look up by name and labels."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


Readings = dict[str, list[Sample]]
"""Metric name (as exposed, `_total` kept) → its samples."""


def parse(text: str) -> Readings:
    readings: Readings = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            readings.setdefault(sample.name, []).append(Sample(dict(sample.labels), float(sample.value)))
    return readings


def value(readings: Readings, name: str, **labels: str) -> float | None:
    """The one sample of `name` with `labels` (None when there is none)."""
    found = [s.value for s in readings.get(name, []) if labels.items() <= s.labels.items()]
    return found[0] if found else None


def per_second(before: Readings, after: Readings, name: str, seconds: float, **labels: str) -> float | None:
    """A counter's rate between two readings; None when either lacks it or it went back (a reset)."""
    then, now = value(before, name, **labels), value(after, name, **labels)
    if then is None or now is None or now < then or seconds <= 0:
        return None
    return (now - then) / seconds

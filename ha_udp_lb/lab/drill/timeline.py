"""A drill trial as a picture: datagrams per 10 ms at each collector, the events, and the blackout."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the lab runs on machines without a screen
import matplotlib.pyplot as plt

BUCKET_MS = 10


def draw(
    path: Path,
    title: str,
    buckets: dict[str, dict[int, int]],
    events: list[tuple[float, str]],
    blackout_ms: tuple[float, float] | None,
    span_ms: float,
) -> None:
    """`buckets`: {collector: {bucket: count}}; `events` and `blackout_ms` in ms since the trial began."""
    figure, axes = plt.subplots(figsize=(11, 4.2), dpi=110)
    edges = [i * BUCKET_MS for i in range(int(span_ms // BUCKET_MS) + 1)]
    for collector in sorted(buckets):
        counts = [buckets[collector].get(i, 0) for i in range(len(edges))]
        axes.step(edges, counts, where="post", linewidth=1.1, label=f"collector {collector}")
    if blackout_ms:
        axes.axvspan(
            *blackout_ms, color="tab:red", alpha=0.15, label=f"longest loss {blackout_ms[1] - blackout_ms[0]:.0f} ms"
        )
    top = axes.get_ylim()[1]
    for index, (at, label) in enumerate(events):
        axes.axvline(at, color="black", linestyle="--", linewidth=0.9)
        axes.text(at, top * (0.97 - 0.08 * (index % 4)), f" {label}", fontsize=8, va="top")
    axes.set_xlim(0, span_ms)
    axes.set_xlabel("ms since the exporters started")
    axes.set_ylabel(f"datagrams per {BUCKET_MS} ms")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="lower left", fontsize=8)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)

"""nginx's resources on every node: workers, connections, socket buffers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from .model_base import Frozen, Int


class Tuning(Frozen):
    workers: int | Literal["auto"] = "auto"
    """A master with no workers holds the sockets but forwards nothing, so at least 1."""
    worker_connections: Int = Field(8192, ge=64, le=1048576)
    """Each exporter session holds two connections: one from the exporter, one to its collector."""
    receive_buffer: Int = Field(16 * 1024 * 1024, ge=65536, le=1 << 30)
    """Bytes of socket receive buffer per listening socket, to absorb bursts."""

    @field_validator("workers", mode="before")
    @classmethod
    def _workers(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1024):
            return value
        raise ValueError("is the number of nginx worker processes: auto (one per core) or 1 to 1024, without quotes")

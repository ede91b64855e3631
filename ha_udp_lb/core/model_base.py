"""The base every stack config model shares: strict scalars, frozen camelCase models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel

# Strict: `priority: true` or `port: "80"` is a mistake to report, not a value to coerce.
Int = Annotated[int, Strict()]
Float = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Bool = Annotated[bool, Strict()]


class Frozen(BaseModel):
    """Stack config keys are camelCase, as in every Pulumi stack file; Python names are snake_case."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

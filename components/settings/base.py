"""What every settings mixin shares: the project name and the model's config."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

PROJECT = "xqfc"


class Fields(BaseModel):
    """Base of each concern's mixin: camelCase config keys, nothing unknown, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


@dataclass(frozen=True)
class Context:
    """What cross-field checks may need beyond the typed fields."""

    # Every key the stack set (secret ones included), as written in the config.
    raw_keys: frozenset[str] = frozenset()
    # Secret values as given (ciphertext placeholders offline): only for checks that must read them.
    secret_values: dict[str, Any] = field(default_factory=dict)

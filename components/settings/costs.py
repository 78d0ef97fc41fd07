"""Cost settings (docs/costs.md): the usage the monthly estimate assumes, and an optional budget."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from components.cost_estimate import assumption_problems
from components.settings.base import Context, Fields
from components.settings.errors import Problem

if TYPE_CHECKING:
    from components.settings.model import Settings


class CostFields(Fields):
    # 0: no budget. Above 0, a plan (and the policy pack) refuses an estimate over it.
    monthly_budget_cny: int = Field(0, ge=0)
    # Overrides of components/cost_estimate.py DEFAULT_ASSUMPTIONS for this stack.
    cost_assumptions: dict[str, Any] = {}  # noqa: RUF012 (pydantic copies field defaults)

    @field_validator("cost_assumptions", mode="before")
    @classmethod
    def _object(cls, v: Any) -> Any:
        # The Pulumi runtime hands an object-typed key to the program as a JSON string.
        if isinstance(v, str):
            try:
                v = json.loads(v) if v.strip() else {}
            except json.JSONDecodeError:
                raise ValueError('must be an object, e.g. {"publicTrafficGb": 50}') from None
        if not isinstance(v, dict):
            raise ValueError('must be an object, e.g. {"publicTrafficGb": 50}')
        return v


def cost_assumptions(s: Settings, ctx: Context) -> list[Problem]:
    return [Problem("costAssumptions", s.cost_assumptions, message) for message in assumption_problems(s.cost_assumptions)]


CHECKS = [cost_assumptions]

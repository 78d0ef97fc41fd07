"""The plan's cost step: the monthly estimate of the planned stack, its budget check, cost.json.

The estimate itself is components/cost_estimate.py over the same registrations the plan
writes to resources.json; this module only reads the stack's cost settings from the config
the program ran with, refuses a plan over `monthlyBudgetCny`, and renders the result.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.cost_estimate import Estimate, NoPriceRow, UncostedResource, budget_message, estimate, over_budget
from components.plan.run import PlanResult
from components.settings.base import PROJECT
from components.settings.errors import Problem, SettingsError

COST_FILE = "cost.json"
# The settings that move the estimate, kept in cost.json so a diff can say what changed.
COST_KEYS = (
    "cloud", "region", "topology", "instanceType", "systemDiskType", "systemDiskSize", "dataDiskType",
    "dataDiskSize", "bandwidthMbps", "cdnEnabled", "dbStorageGb", "costAssumptions", "monthlyBudgetCny",
)
ESTIMATE_ERRORS = (UncostedResource, NoPriceRow)


class OverBudget(ValueError):
    """The estimate is over the stack's monthlyBudgetCny; the message is in the settings' style."""


def _config(result: PlanResult) -> dict[str, str]:
    prefix = f"{PROJECT}:"
    return {k[len(prefix):]: v for k, v in result.config.items() if k.startswith(prefix)}


def _typed(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def plan_estimate(result: PlanResult) -> Estimate:
    cfg = _config(result)
    assumptions = json.loads(cfg.get("costAssumptions") or "{}")
    return estimate(result.resources, cloud=cfg.get("cloud", "tencentcloud"), environment=cfg["environment"], assumptions=assumptions)


def budget_of(result: PlanResult) -> int:
    return int(_config(result).get("monthlyBudgetCny") or 0)


def check_budget(stack: str, est: Estimate, budget: int) -> None:
    if over_budget(budget, est):
        raise OverBudget(str(SettingsError(stack, [Problem("monthlyBudgetCny", budget, budget_message(budget, est))])))


def cost_document(result: PlanResult, est: Estimate) -> dict[str, Any]:
    cfg = _config(result)
    settings = {k: _typed(cfg[k]) if k not in ("region", "instanceType") else cfg[k] for k in COST_KEYS if k in cfg}
    return {"stack": result.stack, "budget": budget_of(result), "settings": settings, **est.document()}


def write_cost(document: dict[str, Any], out_dir: Path) -> None:
    (out_dir / COST_FILE).write_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def cost_lines(est: Estimate) -> list[str]:
    """What the plan prints: each billed or unpriced line, then the total."""
    lines = ["cost estimate (CNY/month, list prices; docs/costs.md):"]
    free = 0
    for line in est.lines:
        if line.unit_price == 0.0:
            free += 1
            continue
        amount = "unpriced" if line.monthly is None else f"{line.monthly:.2f}"
        lines.append(f"  {line.resource}  {line.item}  {line.quantity:g} {line.unit}  {amount}")
    lines.append(f"  ({free} free item(s) not shown; all lines in cost.json)")
    if est.unpriced:
        lines.append(f"  total: {est.total:.2f} CNY/month, a floor: {len(est.unpriced)} item(s) have no sourced price yet")
    else:
        lines.append(f"  total: {est.total:.2f} CNY/month")
    return lines

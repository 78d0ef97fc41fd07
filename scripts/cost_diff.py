"""The pull request's cost comment: base and head plans' cost.json compared, one line per stack.

    python scripts/cost_diff.py BASE_PLANS HEAD_PLANS > cost.md

Each argument is a `make plan --out` folder holding <stack>/cost.json. A line reads
`prod: +86.00 CNY/month: dataDiskSize 200 → 400 (34.10 → 120.10)`; a stack missing on one
side (a base from before cost.json existed) says so instead of inventing a difference.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MARKER = "<!-- xqfc-cost-diff -->"


def load_plans(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("*/cost.json"))}


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, (dict, list, bool)) else str(value)


def changed_settings(base: dict[str, Any], head: dict[str, Any]) -> list[str]:
    b, h = base.get("settings", {}), head.get("settings", {})
    return [f"{k} {_shown(b.get(k, '(unset)'))} → {_shown(h.get(k, '(unset)'))}" for k in sorted(set(b) | set(h)) if b.get(k) != h.get(k)]


def _floor(doc: dict[str, Any]) -> str:
    n = len(doc.get("unpriced", []))
    return f"; a floor, {n} item(s) unpriced" if n else ""


def stack_line(stack: str, base: dict[str, Any] | None, head: dict[str, Any] | None) -> str:
    if head is None:
        return f"- {stack}: removed (was {base['total']:.2f} CNY/month)" if base else f"- {stack}: no estimate"
    if base is None:
        return f"- {stack}: {head['total']:.2f} CNY/month (no base estimate to compare{_floor(head)})"
    delta = round(head["total"] - base["total"], 2)
    why = changed_settings(base, head)
    if not delta and not why:
        return f"- {stack}: no change ({head['total']:.2f} CNY/month{_floor(head)})"
    reason = ", ".join(why) if why else "resources or prices changed"
    return f"- {stack}: {delta:+.2f} CNY/month: {reason} ({base['total']:.2f} → {head['total']:.2f}{_floor(head)})"


def comment(base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]]) -> str:
    lines = [MARKER, "### Monthly cost estimate (CNY, list prices; docs/costs.md)", ""]
    lines += [stack_line(s, base.get(s), head.get(s)) for s in sorted(set(base) | set(head))]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: cost_diff.py BASE_PLANS HEAD_PLANS", file=sys.stderr)
        return 2
    sys.stdout.write(comment(load_plans(Path(argv[0])), load_plans(Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Render docs/costs.md's generated blocks from the data: the price table, the usage
assumptions, and the seed budget beside today's dev stack.

docs/costs.md keeps each block between `<!-- cost:NAME -->` markers; tests/test_costs_doc.py fails
when one drifts. Regenerate with: .venv/bin/python scripts/cost_table.py --write
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.cloud.prices import ALL_REGIONS, PRICES  # noqa: E402
from components.cost_estimate import ASSUMPTION_DOCS, DEFAULT_ASSUMPTIONS, Estimate  # noqa: E402

DOC = ROOT / "docs" / "costs.md"
# The original design notes (docs/costs.md "Seed budget"): CNY a month.
SEED_BUDGET = {"server (2 cores, 4 GB, 50 GB disk)": 500, "CDN": 20, "object storage": 10}


def _regions(regions: tuple[str, ...]) -> str:
    return "all allowed" if regions == ALL_REGIONS else ", ".join(regions)


def prices_table() -> str:
    rows = ["| cloud | item | unit | CNY | regions | source (read) | note |", "|---|---|---|---|---|---|---|"]
    for p in PRICES:
        cny = "unpriced" if p.cny is None else ("free" if p.cny == 0 else f"{p.cny:g}")
        src = f"[page]({p.source.page.replace(' ', '%20')}) ({p.source.read})" if p.source.verified else f"unverified ({p.source.read})"
        rows.append(f"| {p.cloud} | `{p.item}` | {p.unit} | {cny} | {_regions(p.regions)} | {src} | {p.note} |")
    return "\n".join(rows) + "\n"


def unverified_list() -> str:
    seen: dict[str, list[str]] = {}
    for p in PRICES:
        if not p.source.verified:
            seen.setdefault(p.source.searched, []).append(f"{p.cloud} `{p.item}`")
    return "".join(f"- {', '.join(items)}: {searched}\n" for searched, items in seen.items())


def assumptions_table() -> str:
    rows = ["| key | dev | staging | prod | meaning |", "|---|---|---|---|---|"]
    for key, doc in ASSUMPTION_DOCS.items():
        cells = " | ".join(f"{DEFAULT_ASSUMPTIONS[e][key]:g}" if key in DEFAULT_ASSUMPTIONS[e] else "unset" for e in ("dev", "staging", "prod"))
        rows.append(f"| `{key}` | {cells} | {doc} |")
    return "\n".join(rows) + "\n"


def seed_comparison(dev: Estimate) -> str:
    """The design notes' budget beside what today's dev stack (Tencent, single) is estimated at."""
    def part(prefixes: tuple[str, ...]) -> tuple[float, int]:
        lines = [line for line in dev.lines if line.item.startswith(prefixes)]
        return sum(line.monthly or 0 for line in lines), sum(1 for line in lines if line.monthly is None)

    rows = ["| part | seed budget | dev today (estimate) |", "|---|---|---|"]
    for (name, seed), prefixes in zip(SEED_BUDGET.items(), (("instance:", "disk:", "traffic:", "bandwidth-cap"), ("cdn:",), ("bucket:",))):
        total, unpriced = part(prefixes)
        shown = f"{total:.2f}" + (f" + {unpriced} unpriced item(s)" if unpriced else "")
        rows.append(f"| {name} | {seed} | {shown} |")
    rows.append(f"| total | {sum(SEED_BUDGET.values())} | {dev.total:.2f}" + (f" (a floor: {len(dev.unpriced)} unpriced)" if dev.unpriced else "") + " |")
    return "\n".join(rows) + "\n"


def dev_estimate() -> Estimate:
    from components.cost_estimate import estimate
    from components.plan.run import run_stack

    result = run_stack("dev")
    return estimate(result.resources, cloud="tencentcloud", environment="dev")


def blocks(dev: Estimate) -> dict[str, str]:
    return {"prices": prices_table(), "unverified": unverified_list(), "assumptions": assumptions_table(), "seed": seed_comparison(dev)}


def marked(name: str) -> tuple[str, str]:
    return f"<!-- cost:{name} -->", f"<!-- /cost:{name} -->"


def block_of(text: str, name: str) -> str:
    begin, end = marked(name)
    return text.split(begin, 1)[1].split(end, 1)[0].lstrip("\n")


def write() -> None:
    text = DOC.read_text()
    for name, body in blocks(dev_estimate()).items():
        begin, end = marked(name)
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{body}{end}{tail}"
    DOC.write_text(text)


if __name__ == "__main__":
    write()

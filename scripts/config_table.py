"""Print README's config reference table from Pulumi.yaml and the stack files.

README keeps the table between `<!-- config-table -->` markers; tests/test_docs.py fails when
it drifts from this output. Regenerate with: .venv/bin/python scripts/config_table.py --write
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")
BEGIN, END = "<!-- config-table -->", "<!-- /config-table -->"


def _cell(value) -> str:
    if value is None:
        return "·"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "(secret)" if "secure" in value else str(value)
    return str(value)


def table() -> str:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    stacks = {s: yaml.safe_load((ROOT / f"Pulumi.{s}.yaml").read_text())["config"] for s in STACKS}
    rows = ["| key | type | default | dev / staging / prod | description |", "|---|---|---|---|---|"]
    for key, decl in project["config"].items():
        kind = decl["type"] + ("[string]" if decl["type"] == "array" else "")
        if "default" not in decl:
            default = "required"
        else:
            default = f"`{decl['default']}`" if decl["default"] != "" else '`""`'
        if key == "sshPublicKey":
            per_stack = "(operators' key)"
        else:
            per_stack = " / ".join(_cell(stacks[s].get(f"{project['name']}:{key}")) for s in STACKS)
        rows.append(f"| `{key}` | {kind} | {default} | {per_stack} | {decl['description']} |")
    return "\n".join(rows) + "\n"


def write() -> None:
    readme = (ROOT / "README.md").read_text()
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    (ROOT / "README.md").write_text(f"{head}{BEGIN}\n{table()}{END}{tail}")


if __name__ == "__main__":
    write() if "--write" in sys.argv else sys.stdout.write(table())

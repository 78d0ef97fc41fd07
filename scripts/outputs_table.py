"""docs/outputs.md from the outputs contract (components/outputs.py), so the two cannot drift.

    .venv/bin/python -m scripts.outputs_table           # print
    .venv/bin/python -m scripts.outputs_table --write   # rewrite docs/outputs.md
"""
from __future__ import annotations

import argparse
from pathlib import Path

from components.outputs import CONTRACT, CONTRACT_VERSION

DOC = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    rows = ["| output | type | secret | meaning |", "|---|---|---|---|"]
    rows += [f"| `{o.name}` | {_cell(o.type)} | {'yes' if o.secret else 'no'} | {_cell(o.description)} |" for o in CONTRACT]
    return "\n".join(rows) + "\n"


def document() -> str:
    return (
        "## Stack outputs contract\n\n"
        "<!-- Generated from components/outputs.py by `.venv/bin/python -m scripts.outputs_table --write`; do not edit. -->\n\n"
        f"Contract version **{CONTRACT_VERSION}** (semantic versioning: a removed or retyped output is a new major\n"
        "version). Read them with `pulumi stack output --json` or, from another Pulumi program, with\n"
        "`pulumi.StackReference(\"<org>/xqfc/<stack>\")` (see `examples/consumer/`): check the major of\n"
        "`contract_version` first, then use only the names below.\n\n"
        + table()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {DOC.relative_to(DOC.parents[1])}")
    args = parser.parse_args()
    if args.write:
        DOC.write_text(document())
    else:
        print(document(), end="")


if __name__ == "__main__":
    main()

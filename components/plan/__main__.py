"""Offline plan: `python -m components.plan --stack prod` (README's main command, via make plan).

Runs the whole program for one stack under mocks, with no cloud, no credentials and no Pulumi
CLI; prints the resource tree and writes build/plan/<stack>/ (resources.json, outputs.json and
every rendered artifact). A bad config exits 2 with the settings error and nothing else.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pulumi

from components.plan.mocks import MASK
from components.plan.run import ROOT, PlanResult, run_stack, run_stack_on
from components.plan.stack_config import list_stacks
from components.settings import TARGETS


def resources_document(result: PlanResult) -> list[dict]:
    return [{"type": r.type, "name": r.name, "parent": r.parent_name, "inputs": r.inputs} for r in result.resources]


def outputs_document(result: PlanResult) -> dict:
    return {k: (MASK if o.secret else o.value) for k, o in result.outputs.items()}


def tree_lines(result: PlanResult) -> list[str]:
    children: dict[str | None, list] = {}
    for r in result.resources:
        children.setdefault(r.parent_urn, []).append(r)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in children.get(parent, []):
            flags = [f for f, on in (("protected", r.protect), ("retained", r.retain_on_delete)) if on]
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            lines.append(f"{'  ' * depth}{r.name}  ({r.type}){suffix}")
            walk(r.urn, depth + 1)

    walk(None, 0)
    return lines


def write_plan(result: PlanResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "resources.json").write_text(json.dumps(resources_document(result), indent=2, ensure_ascii=False) + "\n")
    (out_dir / "outputs.json").write_text(json.dumps(outputs_document(result), indent=2, ensure_ascii=False) + "\n")
    for name, text in result.artifacts.items():
        path = out_dir / "artifacts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    stacks = list_stacks(ROOT)
    parser = argparse.ArgumentParser(prog="make plan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", choices=stacks)
    parser.add_argument(
        "--cloud", choices=TARGETS, help="plan the stack moved to this cloud (applies the example overrides of components/plan/switch.py)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "plan")
    args = parser.parse_args(argv)

    overrides = dict(kv.split("=", 1) for kv in args.set)
    try:
        result = run_stack_on(args.stack, args.cloud, overrides) if args.cloud else run_stack(args.stack, overrides)
    except (pulumi.RunError, ValueError) as err:
        print(str(err), file=sys.stderr)
        return 2

    out_dir = args.out / (f"{args.stack}-{args.cloud}" if args.cloud else args.stack)
    write_plan(result, out_dir)
    print(f"stack {args.stack}: {len(result.resources)} resources")
    print("\n".join(tree_lines(result)))
    print("\noutputs:")
    for k, v in outputs_document(result).items():
        print(f"  {k}: {json.dumps(v, ensure_ascii=False)}")
    print(f"\nwritten: {out_dir.relative_to(ROOT) if out_dir.is_relative_to(ROOT) else out_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

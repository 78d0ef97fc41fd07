"""Offline plan: `python -m components.plan --stack prod` (README's main command, via make plan;
__main__.py runs this module's main under the plan's GC policy).

Runs the whole program for one stack under mocks, with no cloud, no credentials and no Pulumi
CLI; prints the resource tree and writes build/plan/<stack>/ (resources.json, outputs.json and
every rendered artifact). The same input gives byte-identical files: resources in tree order,
keys sorted, and the folder emptied of a previous run's files first. A bad config, a stack file
the Pulumi CLI would refuse, or a misused flag exits 2 with a one-line error and nothing else.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any, NoReturn

import pulumi

from components.plan.assumed import assumed_secrets
from components.plan.cost import ESTIMATE_ERRORS, check_budget, cost_document, cost_lines, plan_estimate, write_cost
from components.plan.mocks import MASK, Registration
from components.plan.run import ROOT, PlanResult, run_stack, run_stack_on
from components.plan.stack_config import StackConfigError, list_stacks, project_name, read_stack_config
from components.settings import TARGETS

# Written into every plan folder: only a folder carrying it is emptied by the next run, so a
# mistaken --out never deletes anything else.
MARKER = ".xqfc-plan"
CONTAINER = "docker:index/container:Container"


def plan_folder(stack: str, cloud: str | None) -> str:
    """The folder under --out that a plan of `stack` (moved to `cloud`) writes."""
    return f"{stack}-{cloud}" if cloud else stack


def plan_order(result: PlanResult) -> list[tuple[int, Registration]]:
    """(depth, resource) in tree order, siblings by name then type: independent of the order the
    program's async code happened to register them in."""
    children: dict[str | None, list[Registration]] = {}
    for r in result.resources:
        children.setdefault(r.parent_urn, []).append(r)
    ordered: list[tuple[int, Registration]] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.name, r.type)):
            ordered.append((depth, r))
            walk(r.urn, depth + 1)

    walk(None, 0)
    return ordered


def resources_document(result: PlanResult) -> list[dict]:
    return [{"type": r.type, "name": r.name, "parent": r.parent_name, "inputs": r.inputs} for _, r in plan_order(result)]


def outputs_document(result: PlanResult) -> dict:
    return {k: (MASK if o.secret else o.value) for k, o in result.outputs.items()}


def tree_lines(result: PlanResult) -> list[str]:
    lines: list[str] = []
    for depth, r in plan_order(result):
        flags = [f for f, on in (("protected", r.protect), ("retained", r.retain_on_delete)) if on]
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        image = f"  image {r.inputs.get('image')}" if r.type == CONTAINER else ""
        lines.append(f"{'  ' * depth}{r.name}  ({r.type}){image}{suffix}")
    return lines


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def clear_plan_folder(out_dir: Path) -> None:
    """Empty a previous plan's folder; refuse to touch a folder that is not one."""
    if out_dir.exists() and any(out_dir.iterdir()):
        earlier = (out_dir / "resources.json").is_file()  # a plan written before the marker existed
        if not ((out_dir / MARKER).is_file() or earlier):
            raise StackConfigError(f"--out: {out_dir} exists and is not a plan folder (no {MARKER}); pick another --out")
        shutil.rmtree(out_dir)


def write_plan(result: PlanResult, out_dir: Path) -> None:
    clear_plan_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("written by `make plan`; emptied by the next plan into this folder\n")
    (out_dir / "resources.json").write_text(_json(resources_document(result)))
    (out_dir / "outputs.json").write_text(_json(outputs_document(result)))
    for name, text in sorted(result.artifacts.items()):
        path = out_dir / "artifacts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line naming the flag, no usage block: the same shape as a config error.
        self.exit(2, f"{self.prog}: {message}\n")


def _overrides(pairs: list[str]) -> dict[str, str]:
    bad = [kv for kv in pairs if "=" not in kv or not kv.split("=", 1)[0]]
    if bad:
        raise StackConfigError(f"--set {bad[0]!r}: expected KEY=VALUE, e.g. --set instanceType=S5.LARGE8")
    return dict(kv.split("=", 1) for kv in pairs)


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    stacks = list_stacks(root)
    parser = _Parser(prog="make plan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", choices=stacks)
    parser.add_argument(
        "--cloud", choices=TARGETS, help="plan the stack moved to this cloud (applies the example overrides of components/plan/switch.py)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    parser.add_argument("--out", type=Path, default=root / "build" / "plan")
    args = parser.parse_args(argv)

    out_dir = args.out / plan_folder(args.stack, args.cloud)
    try:
        overrides: dict[str, Any] = _overrides(args.set)
        project = project_name(root)
        config, _ = read_stack_config(root, args.stack, overrides)
        assumed = [k for k in assumed_secrets(config, project) if k not in overrides]
        overrides = {**{k: {"secure": ""} for k in assumed}, **overrides}
        if args.cloud:
            result = run_stack_on(args.stack, args.cloud, overrides, root)
        else:
            result = run_stack(args.stack, overrides, root)
        cost = plan_estimate(result)
        check_budget(args.stack, cost, int(result.config.get(f"{project}:monthlyBudgetCny") or 0))
        write_plan(result, out_dir)
        write_cost(cost_document(result, cost), out_dir)
    except (pulumi.RunError, ValueError, *ESTIMATE_ERRORS) as err:
        print(str(err), file=sys.stderr)
        return 2

    print(f"stack {args.stack}: {len(result.resources)} resources")
    print("\n".join(tree_lines(result)))
    print("\noutputs:")
    for k, v in outputs_document(result).items():
        print(f"  {k}: {json.dumps(v, ensure_ascii=False)}")
    print()
    print("\n".join(cost_lines(cost)))
    if assumed:
        print(f"\nsecrets not in Pulumi.{args.stack}.yaml, planned with a placeholder (set each before `pulumi up`: "
              f"pulumi config set --secret KEY ...): {', '.join(assumed)}")
    print(f"\nwritten: {out_dir.relative_to(root) if out_dir.is_relative_to(root) else out_dir}/")
    return 0


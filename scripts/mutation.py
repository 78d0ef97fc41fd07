"""Mutation benchmark of the code that guards what we must never lose or expose (docs/testing.md).

Each mutant is one small change to one target function (a comparison flipped, `and`/`or`
swapped, a `not` dropped, an integer moved by one, `True`/`False` swapped, `+`/`-` swapped,
`continue`/`break` swapped, a call statement such as `out.append(...)` deleted). The runner
copies the tree once into a temporary directory, writes each mutant there in turn and runs only
the test files of that module's group (`pytest -x`); a mutant is killed when the tests fail (or
time out), and survives when they pass. Mutants listed as equivalent in docs/testing.md are left
out of the score and reported apart; a listed entry that no longer matches a mutant, or that the
tests now kill, is reported as stale so the list cannot rot.

Why our own runner and not mutmut 3 (tried, 3.3.1): mutmut copies only the mutated files into
mutants/ and imports the tests from there, so our conftest (components.plan) is missing; adding
components/ to `also_copy` overwrites the mutated module ("Unable to force test failures"). It
also mutates whole files, while we select functions. This file has no dependency but pytest.

    python scripts/mutation.py                       # every group (make mutation)
    python scripts/mutation.py --group guardrails    # one group; repeatable
    python scripts/mutation.py --list                # the mutants, without running tests
"""
from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"

# What is mutated: (group, file, function). A function is named as in its module, a method as
# `Class.method`; moving a function to another file is a change to its row only.
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("guardrails", "components/guardrails.py", "_is_world"),
    ("guardrails", "components/guardrails.py", "_is_loopback"),
    ("guardrails", "components/guardrails.py", "_ports"),
    ("guardrails", "components/guardrails.py", "_describe"),
    ("guardrails", "components/guardrails.py", "_ingresses"),
    ("guardrails", "components/guardrails.py", "world_ingress_only_web"),
    ("guardrails", "components/guardrails.py", "ssh_only_from_admin_networks"),
    ("guardrails", "components/guardrails.py", "buckets_private_versioned_encrypted"),
    ("guardrails", "components/guardrails.py", "prod_vms_deletion_protected"),
    ("guardrails", "components/guardrails.py", "containers_publish_only_web"),
    ("guardrails", "components/guardrails.py", "read_only_containers_take_files_by_mount"),
    ("guardrails", "components/guardrails.py", "_unpinned"),
    ("guardrails", "components/guardrails.py", "prod_images_pinned_by_digest"),
    ("guardrails", "components/guardrails.py", "check_resource"),
    ("guardrails", "components/guardrails.py", "backups_scheduled"),
    ("guardrails", "components/guardrails.py", "alicloud_buckets_complete"),
    ("guardrails", "components/guardrails.py", "check_stack"),
    ("guardrails", "components/guardrails.py", "environment_of"),
    ("guardrails", "components/guardrails.py", "stack_of_urn"),
    ("firewall", "components/firewall.py", "<module>"),
    ("firewall", "components/firewall.py", "ingress_policy"),
    ("firewall", "components/firewall.py", "host_ingress"),
    ("backup", "components/backup/retention.py", "expired"),
    ("backup", "components/backup/naming.py", "format_ts"),
    ("backup", "components/backup/naming.py", "parse_ts"),
    ("backup", "components/backup/naming.py", "check_name"),
    ("backup", "components/backup/naming.py", "series_prefix"),
    ("backup", "components/backup/naming.py", "backup_prefix"),
    ("backup", "components/backup/naming.py", "split_key"),
    ("backup", "components/backup/manifest.py", "<module>"),
    ("backup", "components/backup/manifest.py", "Manifest.to_json"),
    ("backup", "components/backup/manifest.py", "Manifest.from_json"),
    ("backup", "components/backup/manifest.py", "sha256_stream"),
    ("backup", "components/backup/manifest.py", "sha256_file"),
    ("settings", "components/settings/loader.py", "_cross_checks"),
    ("settings", "components/settings/network.py", "existing_host"),
    ("settings", "components/settings/network.py", "cloud_only"),
    ("settings", "components/settings/network.py", "subnet_in_vpc"),
    ("settings", "components/settings/network.py", "domain_in_zone"),
    ("settings", "components/settings/network.py", "ssh_not_open_to_the_world"),
    ("settings", "components/settings/network.py", "provided_certificate"),
    ("settings", "components/settings/placement.py", "region_and_zone"),
    ("settings", "components/settings/placement.py", "disk_types"),
    ("settings", "components/settings/placement.py", "tencent_app_id_cloud"),
    ("settings", "components/settings/placement.py", "prod_deletion_protection"),
    ("settings", "components/settings/placement.py", "mount_is_not_device"),
    ("settings", "components/settings/services.py", "prod_images_by_digest"),
    ("settings", "components/settings/services.py", "registry_pair"),
    ("settings", "components/settings/services.py", "memory_budget"),
    ("settings", "components/settings/backups.py", "<module>"),
    ("settings", "components/settings/backups.py", "prod_retention"),
    ("settings", "components/settings/backups.py", "local_copies_within_retention"),
    ("settings", "components/settings/monitoring.py", "<module>"),
    ("settings", "components/settings/monitoring.py", "email_receiver_complete"),
    ("settings", "components/settings/monitoring.py", "wecom_recipient"),
    ("settings", "components/settings/monitoring.py", "wecom_pair"),
    ("settings", "components/settings/monitoring.py", "logs_need_memory"),
    ("settings", "components/settings/monitoring.py", "logs_retention"),
    ("settings", "components/settings/monitoring.py", "prod_alert_receiver"),
    ("settings", "components/settings/topology.py", "second_zone"),
    ("settings", "components/settings/topology.py", "ha_subnets"),
)

# The tests each group runs, fastest and most pointed first (pytest -x stops at the first failure).
TESTS: dict[str, tuple[str, ...]] = {
    "guardrails": ("tests/test_guardrails_rules.py", "tests/test_guardrails.py", "tests/test_policy_pack.py"),
    "firewall": ("tests/test_firewall.py", "tests/test_program.py", "tests/test_cloud_init.py", "tests/test_ha.py"),
    "backup": ("tests/test_backup_units.py", "tests/test_backup_tooling.py", "tests/test_backup_schedule.py"),
    "settings": ("tests/test_settings_cross_checks.py", "tests/test_settings.py", "tests/test_existing_host.py"),
}

# Minimum score per group, in percent of the non-equivalent mutants killed.
THRESHOLDS = {"guardrails": 100.0, "firewall": 95.0, "backup": 95.0, "settings": 95.0}

_COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add}


@dataclass
class Mutant:
    group: str
    file: str
    function: str
    line: int
    before: str
    after: str
    source: str  # the whole mutated file
    occurrence: int = 1

    @property
    def key(self) -> str:
        """Stable across line moves and file moves: function, original text, mutated text."""
        suffix = f" #{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.function}: {self.before} -> {self.after}{suffix}"


def _short(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 70 else text[:67] + "..."


def _is_docstring(stmt: ast.stmt, body: list[ast.stmt]) -> bool:
    return bool(body) and stmt is body[0] and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _children(node: ast.AST):
    """(field, index or None, child) of every AST child."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield name, i, item
        elif isinstance(value, ast.AST):
            yield name, None, value


def _points(root: ast.AST, module_level: bool):
    """Every mutation of `root`'s subtree: (line, node shown before, apply(), undo())."""
    stack: list[tuple[ast.AST, ast.AST | None, str | None, int | None, ast.AST | None]] = [(root, None, None, None, None)]
    found = []
    while stack:
        node, parent, field, index, context = stack.pop()
        if module_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue  # <module> means the module's own statements (constants), not its functions
        found.extend(_node_points(node, parent, field, index, context))
        # A constant is shown in its nearest enclosing expression (`rsplit('/', 1)`, not `1`).
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return)) or (
                isinstance(node, ast.expr) and not isinstance(node, (ast.UnaryOp, ast.Constant))):
            context = node
        body = getattr(node, "body", None)
        for name, i, child in _children(node):
            if name in ("decorator_list", "returns", "annotation") or isinstance(child, ast.arg) or isinstance(child, ast.arguments):
                continue
            if isinstance(body, list) and name == "body" and _is_docstring(child, body):
                continue
            if isinstance(node, ast.JoinedStr):
                continue  # message text, not behaviour
            stack.append((child, node, name, i, context))
    return sorted(found, key=lambda p: p[0])


def _replace(parent, field, index, new):
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new


def _node_points(node, parent, field, index, context=None):
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Compare):
        for j, op in enumerate(node.ops):
            if type(op) in _COMPARE_SWAP:
                def apply(node=node, j=j, op=op):
                    node.ops[j] = _COMPARE_SWAP[type(op)]()
                def undo(node=node, j=j, op=op):
                    node.ops[j] = op
                yield line, node, node, apply, undo
    elif isinstance(node, ast.BoolOp):
        old: ast.AST = node.op  # each branch's old/new is a different kind of node
        def swap_bool(node=node, old=old):
            node.op = ast.Or() if isinstance(old, ast.And) else ast.And()
        def restore_bool(node=node, old=old):
            node.op = old
        yield line, node, node, swap_bool, restore_bool
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAP:
        old = node.op
        def swap_binop(node=node, old=old):
            node.op = _BINOP_SWAP[type(old)]()
        def restore_binop(node=node, old=old):
            node.op = old
        yield line, node, node, swap_binop, restore_binop
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and parent is not None:
        yield line, node, node.operand, lambda: _replace(parent, field, index, node.operand), lambda: _replace(parent, field, index, node)
    elif isinstance(node, ast.Constant) and parent is not None and type(node.value) is int:
        for delta in (1, -1):
            new: ast.AST = ast.Constant(node.value + delta)
            shown = context or node
            yield line, shown, (shown if context else new), (lambda new=new: _replace(parent, field, index, new)), \
                (lambda: _replace(parent, field, index, node))
    elif isinstance(node, ast.Constant) and parent is not None and type(node.value) is bool:
        new = ast.Constant(not node.value)
        shown = context or node
        yield line, shown, (shown if context else new), lambda: _replace(parent, field, index, new), \
            lambda: _replace(parent, field, index, node)
    elif isinstance(node, (ast.Continue, ast.Break)) and parent is not None:
        new = ast.Break() if isinstance(node, ast.Continue) else ast.Continue()
        yield line, node, new, lambda: _replace(parent, field, index, new), lambda: _replace(parent, field, index, node)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and parent is not None:
        new = ast.Pass()
        yield line, node, new, lambda: _replace(parent, field, index, new), lambda: _replace(parent, field, index, node)


_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _find(tree: ast.Module, qualname: str) -> _Scope:
    if qualname == "<module>":
        return tree
    scope: _Scope = tree
    for part in qualname.split("."):
        inner = next((n for n in scope.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.name == part), None)
        if inner is None:
            raise SystemExit(f"mutation: no {qualname} in the target table's file (retarget scripts/mutation.py TARGETS)")
        scope = inner
    return scope


def _splice(source: str, node: _Scope, tree: ast.Module) -> str:
    """The file with `node`'s lines replaced by its (mutated) unparsed text."""
    if isinstance(node, ast.Module):  # the tree itself: <module>
        return ast.unparse(tree) + "\n"
    lines = source.splitlines(keepends=True)
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    indent = " " * node.col_offset
    text = textwrap.indent(ast.unparse(node), indent) + "\n"
    return "".join(lines[: first - 1]) + text + "".join(lines[node.end_lineno:])


def mutants(targets=TARGETS) -> list[Mutant]:
    out: list[Mutant] = []
    for group, file, function in targets:
        source = (ROOT / file).read_text()
        tree = ast.parse(source)
        node = _find(tree, function)
        seen: Counter = Counter()
        for line, shown, shown_after, apply, undo in _points(node, module_level=node is tree):
            before = _short(shown)
            apply()
            try:
                mutated_text = _splice(source, node, tree)
                after = _short(shown_after)
            finally:
                undo()
            seen[(function, before, after)] += 1
            out.append(Mutant(group, file, function, line, before, after, mutated_text, seen[(function, before, after)]))
    return out


def _equivalents() -> dict[str, str]:
    """`| function: before -> after | reason |` rows between the markers of docs/testing.md."""
    text = EQUIVALENTS_DOC.read_text() if EQUIVALENTS_DOC.exists() else ""
    block = text.partition("<!-- equivalent-mutants -->")[2].partition("<!-- /equivalent-mutants -->")[0]
    out = {}
    for row in block.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split(" | ")]
        if len(cells) == 2 and cells[0].startswith("`") and cells[0].endswith("`"):
            out[cells[0][1:-1].replace("\\|", "|")] = cells[1]
    return out


def _copy_tree(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _pytest(workdir: Path, tests: tuple[str, ...], timeout: float, fast: bool = False) -> tuple[str, float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    try:
        rc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                             *(["--noconftest"] if fast else []), *tests],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start
    return ("survived" if rc == 0 else "killed"), time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--group", action="append", choices=sorted(TESTS), help="only these groups (default: all)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="mutants run at once (default 1: the machine is shared)")
    ap.add_argument("--fast", action="store_true",
                    help="only each group's first test file, without the conftest (make mutation-ci)")
    ap.add_argument("--skip-test", action="append", metavar="FILE",
                    help="leave this test file out (to measure what the other tests kill)")
    ap.add_argument("--no-threshold", action="store_true", help="report only; exit 0 whatever the scores")
    args = ap.parse_args(argv)
    groups = args.group or list(TESTS)
    targets = [t for t in TARGETS if t[0] in groups]
    all_mutants = mutants(targets)
    equivalents = _equivalents()
    if args.list:
        for m in all_mutants:
            tag = "  [equivalent]" if m.key in equivalents else ""
            print(f"{m.file}:{m.line}  {m.key}{tag}")
        print(f"{len(all_mutants)} mutants")
        return 0

    failed = False
    with tempfile.TemporaryDirectory(prefix="xqfc-mutation-") as tmp:
        # One copy of the tree per worker: a worker writes its mutant into its own copy only.
        copies: queue.Queue[Path] = queue.Queue()
        for w in range(args.jobs):
            (Path(tmp) / str(w)).mkdir()
            _copy_tree(Path(tmp) / str(w))
            copies.put(Path(tmp) / str(w))
        for group in groups:
            # Against the copy: a test file added after the run started is not in it.
            tests = tuple(t for t in TESTS[group] if (copies.queue[0] / t).exists() and t not in (args.skip_test or ()))
            tests = tests[:1] if args.fast else tests
            if not tests:  # pytest without files would run the whole suite
                print(f"{group}: no test file to run", flush=True)
                failed = True
                continue
            if not args.fast and set(tests) | set(args.skip_test or ()) < set(TESTS[group]):
                print(f"{group}: missing test files skipped: {sorted(set(TESTS[group]) - set(tests))}", flush=True)
            status, baseline = _pytest(copies.queue[0], tests, 900, args.fast)
            if status != "survived":
                print(f"{group}: the unmutated tests do not pass ({' '.join(tests)}); fix them first", flush=True)
                failed = True
                continue
            timeout = max(30.0, 5 * baseline)
            group_mutants = [m for m in all_mutants if m.group == group]

            def run(m: Mutant, tests: tuple[str, ...] = tests, timeout: float = timeout) -> tuple[Mutant, str]:
                work = copies.get()
                path = work / m.file
                original = path.read_text()
                try:
                    path.write_text(m.source)
                    status, _ = _pytest(work, tests, timeout, args.fast)
                finally:
                    path.write_text(original)
                    copies.put(work)
                return m, status

            results = defaultdict(list)
            with ThreadPoolExecutor(args.jobs) as pool:
                for n, (m, status) in enumerate(pool.map(run, group_mutants), 1):
                    if m.key in equivalents:
                        results["equivalent" if status == "survived" else "killed-equivalent"].append(m)
                    else:
                        results[status].append(m)
                    print(f"  [{group} {n}/{len(group_mutants)}] {status:8} {m.file}:{m.line} {m.key}",
                          file=sys.stderr, flush=True)
            failed |= _report(group, results, baseline)
    stale = set(equivalents) - {m.key for m in all_mutants}
    if stale and not args.group:
        print("stale equivalent entries (no such mutant any more; remove them from docs/testing.md):")
        for key in sorted(stale):
            print(f"  {key}")
    return 1 if failed and not args.no_threshold else 0


def _report(group: str, results: dict[str, list[Mutant]], baseline: float) -> bool:
    killed = len(results["killed"]) + len(results["timeout"])
    total = killed + len(results["survived"])
    score = 100.0 * killed / total if total else 100.0
    need = THRESHOLDS[group]
    verdict = "ok" if score >= need else f"BELOW {need:g} %"
    print(f"{group}: {killed}/{total} killed = {score:.1f} % (+{len(results['equivalent'])} listed equivalent; "
          f"tests {baseline:.1f} s) {verdict}", flush=True)
    for m in results["survived"]:
        print(f"  survived   {m.file}:{m.line}  `{m.key}`")
    for m in results["killed-equivalent"]:
        print(f"  stale      {m.file}:{m.line}  `{m.key}` is listed equivalent but the tests kill it: remove the entry")
    return score < need or bool(results["killed-equivalent"])


if __name__ == "__main__":
    sys.exit(main())

"""Offline plan time against a bare import of the SDKs the plan uses (a benchmark, not a test).

    python scripts/bench_plan.py [--stack prod] [--cloud alicloud] [--set KEY=VALUE] [--pairs 7] [--max-ratio 1.5]

For each stack, one discovery run lists the SDK modules the plan really loads (pulumi, the
providers; a module the SDK's lazy loader registered but never ran is left out). Then N pairs
run back to back, alternating, each in a fresh interpreter:
  plan  `python -m components.plan --stack S` (what `make plan` runs)
  bare  `python -c` importing exactly those SDK modules and nothing else
so load on the machine hits both alike. Both arms share one bytecode cache (a fresh
PYTHONPYCACHEPREFIX, filled by the discovery run, as an ordinary checkout's __pycache__ is after
its first run; PYTHONDONTWRITEBYTECODE would make each run compile our modules and the providers'
anew), and the bare arm runs under the plan's GC policy (components/plan/gc_policy.py: collector off,
heap frozen before exit), so the
ratio compares the plan's own work, not a different bytecode or collector setting. Prints the median wall and CPU (user+sys) seconds of
each, and their ratios; exits 1 when a stack's wall ratio exceeds --max-ratio (`--metric cpu`
judges by CPU time instead, steadier on a busy machine).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# The cloud and platform SDKs (requirements.txt): the pulumi core and every provider package.
SDK_PREFIXES = ("pulumi_", "pulumiverse_", "tencentcloud_")

_DISCOVER = r"""
import contextlib, io, json, runpy, sys
sys.argv = ["plan", *json.loads(sys.argv[1])]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("components.plan", run_name="__main__")
    except SystemExit as done:
        if done.code:
            raise
def sdk(name):
    top = name.split(".")[0]
    return top == "pulumi" or top.startswith(PREFIXES)
# pulumi's lazy_import leaves a _LazyModule in sys.modules until first use: not loaded.
print(json.dumps(sorted(n for n, m in list(sys.modules.items()) if sdk(n) and type(m).__name__ != "_LazyModule")))
"""

_BARE = r"""
import gc, importlib, json, sys
gc.disable()
for name in json.loads(sys.argv[1]):
    # An attribute read runs a lazily registered module, as the plan's first use did.
    getattr(importlib.import_module(name), "_bench_load_", None)
gc.freeze()
"""


def child_env(pycache: Path) -> dict[str, str]:
    """The environment both arms run in: one shared, writable bytecode cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, user+sys CPU) seconds of one child run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sdk_modules(plan_args: list[str], env: dict[str, str]) -> list[str]:
    code = _DISCOVER.replace("PREFIXES", repr(SDK_PREFIXES))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(plan_args)], cwd=ROOT, check=True,
                         capture_output=True, text=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


def plan_args(stack: str, cloud: str | None, sets: list[str], out: Path) -> list[str]:
    """`make plan`'s flags for one stack: --cloud and every --set passed through."""
    return ["--stack", stack, "--out", str(out), *(["--cloud", cloud] if cloud else []),
            *(a for kv in sets for a in ("--set", kv))]


def bare_command(modules: list[str]) -> list[str]:
    return [sys.executable, "-c", _BARE, json.dumps(modules)]


def bench(stack: str, cloud: str | None, sets: list[str], pairs: int, out: Path) -> dict:
    args = plan_args(stack, cloud, sets, out / "plan")
    env = child_env(out / "pycache")
    modules = sdk_modules(args, env)
    plan_cmd = [sys.executable, "-m", "components.plan", *args]
    bare_cmd = bare_command(modules)
    plan_t, bare_t = [], []
    for _ in range(pairs):
        plan_t.append(_timed(plan_cmd, env))
        bare_t.append(_timed(bare_cmd, env))

    def med(runs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(r[i] for r in runs)

    return {
        "stack": stack + (f"@{cloud}" if cloud else ""),
        "sdks": sorted({m.split(".")[0] for m in modules}),
        "plan": (med(plan_t, 0), med(plan_t, 1)),
        "bare": (med(bare_t, 0), med(bare_t, 1)),
    }


def main(argv: list[str] | None = None) -> int:
    from components.plan.stack_config import list_stacks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", choices=list_stacks(ROOT), help="default: every stack")
    parser.add_argument("--cloud", help="plan the stacks moved to this cloud (make plan --cloud)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to make plan")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--metric", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args(argv)

    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        for stack in args.stack or list_stacks(ROOT):
            r = bench(stack, args.cloud, args.set, args.pairs, Path(tmp))
            (pw, pc), (bw, bc) = r["plan"], r["bare"]
            ratio_wall, ratio_cpu = pw / bw, pc / bc
            worst = max(worst, ratio_wall if args.metric == "wall" else ratio_cpu)
            print(f"{r['stack']:<16} plan {pw:5.2f} s wall {pc:5.2f} s cpu | bare import {bw:5.2f} s wall "
                  f"{bc:5.2f} s cpu | ratio {ratio_wall:4.2f} wall {ratio_cpu:4.2f} cpu | "
                  f"median of {args.pairs} pairs | SDKs: {', '.join(r['sdks'])}")
    verdict = "ok" if worst <= args.max_ratio else "over"
    print(f"worst {args.metric} ratio {worst:.2f} (limit {args.max_ratio}): {verdict}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

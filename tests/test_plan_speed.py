"""What makes the offline plan fast must leave its output and its callers unchanged."""
from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from components.plan.gc_policy import PLAN_GC_THRESHOLD, plan_gc
from components.plan.run import ROOT


def test_plan_gc_sets_the_policy_and_restores_the_callers():
    before = gc.get_threshold()
    assert before != PLAN_GC_THRESHOLD
    with plan_gc():
        assert gc.get_threshold() == PLAN_GC_THRESHOLD
    assert gc.get_threshold() == before


def test_plan_gc_restores_the_callers_policy_when_the_plan_fails():
    before = gc.get_threshold()
    with pytest.raises(SystemExit), plan_gc():
        raise SystemExit(2)
    assert gc.get_threshold() == before


def test_the_cli_runs_under_the_policy_from_before_the_sdk_imports(tmp_path):
    # The policy has to be set before `import pulumi` to cover the imports' allocations too; the
    # caller's thresholds come back after it, and the heap is frozen for the exit.
    probe = (
        "import gc, runpy, sys\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pulumi' and not seen:\n"
        "            seen.append(gc.get_threshold())\n"
        "sys.meta_path.insert(0, Watch())\n"
        f"sys.argv = ['plan', '--stack', 'dev', '--out', {str(tmp_path)!r}]\n"
        "try:\n"
        "    runpy.run_module('components.plan', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen[0], gc.get_threshold(), gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1] == f"{PLAN_GC_THRESHOLD} {gc.get_threshold()} True", out.stderr


def test_bench_plan_compares_like_with_like(tmp_path, monkeypatch):
    from scripts import bench_plan

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = bench_plan.child_env(tmp_path)
    # Both arms read and write one bytecode cache, as a checkout's __pycache__ after its first run.
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path) and "PYTHONDONTWRITEBYTECODE" not in env
    args = bench_plan.plan_args("prod", "ssh", ["topology=single", "cdnEnabled=false"], tmp_path)
    assert args[args.index("--cloud") + 1] == "ssh"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--set"] == ["topology=single", "cdnEnabled=false"]
    # The bare arm runs under the plan's collector policy: run it and read the policy back.
    cmd = bench_plan.bare_command(["json"])
    cmd[2] += "\nprint(gc.get_threshold(), gc.get_freeze_count() > 0)"
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == f"{PLAN_GC_THRESHOLD} True"

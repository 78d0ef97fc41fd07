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

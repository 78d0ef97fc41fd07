"""`python -m components.plan` (make plan): the plan CLI (components/plan/cli.py) under the
plan's GC policy, set before the SDK imports since they allocate as much as the run itself."""
from __future__ import annotations

import sys

from components.plan.gc_policy import freeze_for_exit, plan_gc

with plan_gc():
    from components.plan.cli import main

    code = main()
    # Inside the policy: once the collector is back on, the next allocation would collect
    # everything the plan allocated.
    freeze_for_exit()
sys.exit(code)

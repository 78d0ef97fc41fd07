"""The garbage collector's policy for one offline plan (a short-lived process).

The plan allocates a few hundred thousand objects that live until it exits (the SDK's resource
classes and type metadata, ~140 resources' Outputs and futures) and makes few reference cycles,
so the default gen-0 threshold (700) runs hundreds of collections that each find almost nothing
(gc.get_stats() on `make plan --stack prod`: ~390 gen-0 and ~35 gen-1 collections, about a
quarter of the run's wall time). mypy tunes its own run the same way and for the same reason:
mypy/build.py `build()` sets gc.set_threshold(200 * 1000, 30, 30), and `dispatch()` ends its
allocation-heavy phase with gc.freeze() (mypy 2.4.1, read 2026-12-05).
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# mypy's figures (see above): gen 0 collected every 200k net allocations, gens 1 and 2 rarely.
PLAN_GC_THRESHOLD = (200_000, 30, 30)


@contextmanager
def plan_gc() -> Iterator[None]:
    """Run the body under PLAN_GC_THRESHOLD, then put the caller's thresholds back (a test
    process that plans in-process keeps its own policy)."""
    before = gc.get_threshold()
    gc.set_threshold(*PLAN_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def freeze_for_exit() -> None:
    """Move every live object to the permanent generation just before the process exits, so
    the interpreter's shutdown collection does not walk the plan's whole heap for nothing."""
    gc.freeze()

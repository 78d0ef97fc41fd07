from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
from pathlib import Path

import pytest

from components.plan.run import PlanResult, run_stack_on
from components.settings import CLOUDS

STACKS = ("dev", "staging", "prod")

# Under pytest-xdist (make test), a folder all workers of this run share: a plan one worker ran
# is read by the others instead of run again. None in a single process.
_SHARED_PLANS: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _share_plans_between_workers(request, tmp_path_factory):
    global _SHARED_PLANS
    if hasattr(request.config, "workerinput"):
        # Each worker's basetemp is <run folder>/popen-gwN; the run folder is the workers' own,
        # made afresh for each run (pytest-xdist's documented way to share session data).
        _SHARED_PLANS = tmp_path_factory.getbasetemp().parent / "xqfc-plans"
        _SHARED_PLANS.mkdir(exist_ok=True)
    yield
    _SHARED_PLANS = None
    # Every test of the session reads the same plan objects: one that changed a plan would
    # change what later tests see (and differ between one process and xdist's workers).
    changed = [key for key, (result, digest) in _HANDED_OUT.items() if _digest(result) != digest]
    assert not changed, f"a test changed the shared plan(s) {changed}: copy a plan's data before changing it"


# (stack, cloud, overrides) -> the plan handed to every test that asks, and its digest then.
_HANDED_OUT: dict[tuple, tuple[PlanResult, bytes]] = {}


def _digest(result: PlanResult) -> bytes:
    # Stable for one object; two runs of the same plan may pickle differently (shared strings).
    return hashlib.sha256(pickle.dumps(result)).digest()


def _plan(stack: str, cloud: str, overrides: tuple = ()) -> PlanResult:
    # One key for `_plan(s, c)` and `_plan(s, c, ())`: the `plan` fixture and `plan_of` share.
    key = (stack, cloud, tuple(overrides))
    if key not in _HANDED_OUT:
        result = _run_or_share(*key)
        _HANDED_OUT[key] = (result, _digest(result))
    return _HANDED_OUT[key][0]


def _run_or_share(stack: str, cloud: str, overrides: tuple) -> PlanResult:
    # Every cloud runs from the same stack file plus the example switch overrides
    # (components/plan/switch.py), exactly what `make plan STACK=<s> --cloud <c>` does.
    if _SHARED_PLANS is None:
        return run_stack_on(stack, cloud, dict(overrides))
    path = _SHARED_PLANS / hashlib.sha256(repr((stack, cloud, overrides)).encode()).hexdigest()[:32]
    with open(path.with_suffix(".lock"), "w") as lock:
        # One worker runs a plan while another that wants it waits, then reads it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())  # noqa: S301 (written by this run's workers)
        result = run_stack_on(stack, cloud, dict(overrides))
        partial = path.with_suffix(f".{os.getpid()}")
        partial.write_bytes(pickle.dumps(result))
        partial.replace(path)
        return result


@pytest.fixture(params=[(s, c) for c in CLOUDS for s in STACKS], ids=lambda p: f"{p[0]}-{p[1]}")
def plan(request) -> PlanResult:
    """The whole program of each stack on each cloud, run once per session under mocks."""
    return _plan(*request.param)


@pytest.fixture(params=CLOUDS)
def cloud(request) -> str:
    return request.param


@pytest.fixture
def plan_of():
    def get(stack: str, cloud: str = "tencentcloud", **overrides) -> PlanResult:
        return _plan(stack, cloud, tuple(sorted(overrides.items())))

    return get


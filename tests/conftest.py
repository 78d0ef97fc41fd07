from __future__ import annotations

import functools

import pytest

from components.plan.run import PlanResult, run_stack_on
from components.settings import CLOUDS

STACKS = ("dev", "staging", "prod")


@functools.lru_cache(maxsize=None)
def _plan(stack: str, cloud: str, overrides: tuple = ()) -> PlanResult:
    # Every cloud runs from the same stack file plus the example switch overrides
    # (components/plan/switch.py), exactly what `make plan STACK=<s> --cloud <c>` does.
    return run_stack_on(stack, cloud, dict(overrides))


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

from __future__ import annotations

import functools

import pytest

from components.plan.run import PlanResult, run_stack

STACKS = ("dev", "staging", "prod")


@functools.lru_cache(maxsize=None)
def _plan(stack: str, overrides: tuple = ()) -> PlanResult:
    return run_stack(stack, dict(overrides))


@pytest.fixture(params=STACKS)
def plan(request) -> PlanResult:
    """The whole program of each stack, run once per session under mocks."""
    return _plan(request.param)


@pytest.fixture
def plan_of():
    def get(stack: str, **overrides) -> PlanResult:
        return _plan(stack, tuple(sorted(overrides.items())))

    return get

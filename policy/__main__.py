"""Policy pack: the guardrails of components/guardrails.py, mandatory on every stack.

The Pulumi CLI starts this file as `__main__` (`pulumi preview --policy-pack policy`); importing
it under another name only builds the policy list, which is how the tests check the wiring
without starting the analyzer's gRPC server.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any

# The rules are the program's own module; the pack runs from policy/ with its own venv.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import guardrails

PACK_NAME = "xqfc-guardrails"


def _policy_name(rule: Any) -> str:
    return rule.__name__.replace("_", "-")


def _doc(rule: Any) -> str:
    return (rule.__doc__ or rule.__name__).strip().splitlines()[0]


@dataclass(frozen=True)
class _Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]


def resource_policy(rule: guardrails.Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        env = guardrails.environment_of(guardrails.stack_of_urn(args.urn))
        for message in rule(args.resource_type, args.props, env):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=_policy_name(rule),
        description=_doc(rule),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(rule: Any) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not args.resources:
            return
        env = guardrails.environment_of(guardrails.stack_of_urn(args.resources[0].urn))
        resources = [_Resource(r.resource_type, r.name, r.props) for r in args.resources]
        for message in rule(resources, env):
            report_violation(message, None)

    return StackValidationPolicy(
        name=_policy_name(rule),
        description=_doc(rule),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def budget_policy() -> StackValidationPolicy:
    """monthly_budget with the stack's own config. pulumi_policy 1.21 hands a pack only the stack's
    tags (policy.py, _PolicyAnalyzerServicer.ConfigureStack keeps request.tags, drops request.config),
    so the budget and usage assumptions come from Pulumi.<stack>.yaml beside the pack, as
    `pulumi config set` wrote them, merged over Pulumi.yaml's defaults."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if not args.resources:
            return
        from components.plan.stack_config import read_stack_config

        stack = guardrails.stack_of_urn(args.resources[0].urn).rsplit("/", 1)[-1]
        config, _ = read_stack_config(ROOT, stack)
        resources = [_Resource(r.resource_type, r.name, r.props) for r in args.resources]
        for message in guardrails.monthly_budget(resources, config):
            report_violation(message, None)

    return StackValidationPolicy(
        name=_policy_name(guardrails.monthly_budget),
        description=_doc(guardrails.monthly_budget),
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def policies() -> list[Policy]:
    out: list[Policy] = []
    out += [resource_policy(r) for r in guardrails.RESOURCE_RULES]
    out += [stack_policy(r) for r in guardrails.STACK_RULES]
    out.append(budget_policy())
    return out


if __name__ == "__main__":
    PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)

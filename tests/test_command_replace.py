"""A remote command whose `delete` undoes its `create` must not be replaced create-before-delete.

A change of `triggers` replaces a pulumi-command Command (only `triggers` is replaceOnChanges:
components/runtime/provider_behaviour.py COMMAND_BEHAVIOUR), and Pulumi replaces
create-before-delete unless told otherwise (pulumi/pulumi v3.274.1
pkg/resource/deploy/step_generator.go): the new `create` runs, then the old `delete`. For a
command that enables something and disables it on delete, that leaves it disabled.
"""
from __future__ import annotations

COMMAND = "command:remote:Command"


def test_commands_with_a_delete_and_triggers_delete_before_they_replace(plan):
    wrong = [r.name for r in plan.of_type(COMMAND)
             if r.inputs.get("delete") and r.inputs.get("triggers") and not r.delete_before_replace]
    assert not wrong, f"replaced create-before-delete, their old delete would undo the new create: {wrong}"

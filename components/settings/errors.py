"""How problems are reported: one line each, naming the key, the value and what is allowed."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from components.settings.base import PROJECT


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


MISSING: Any = _Missing()
_MISSING = MISSING


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "(missing)" if self.value is MISSING else json.dumps(self.value, default=str)
        return f"{PROJECT}:{self.key} = {shown}: {self.message}"


class SettingsError(Exception):
    """The stack's configuration is invalid; the message lists every problem."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = problems
        lines = [f"invalid configuration for stack '{stack}' ({len(problems)} problem(s)):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("Fix them with `pulumi config set <key> <value>` or in Pulumi.<stack>.yaml.")
        super().__init__("\n".join(lines))

"""One YAML dumper for every monitoring file, so key order stays as built (readable diffs)."""
from __future__ import annotations

from typing import Any

import yaml


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1_000_000)

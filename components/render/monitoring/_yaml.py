"""One YAML dumper for every monitoring file, so key order stays as built (readable diffs).

It runs on libyaml's emitter when PyYAML has it: the pure-Python emitter was about a tenth of a
prod plan's run after the SDK imports. yaml.CSafeDumper is PyYAML's binding of libyaml with
SafeDumper's representer (yaml/cyaml.py, PyYAML 6.0.3), and for these documents it writes the
same bytes: tests/test_plan_speed.py holds every monitoring file of every stack and cloud to
yaml.safe_dump's text. cloud-init stays on PyYAML's emitter: at its width (1000) libyaml folds
a long double-quoted script line differently (an unescaped space after the break where PyYAML
writes `\\ `), the same value as YAML but not the same bytes, and those bytes are the VM's user data.
"""
from __future__ import annotations

from typing import Any

import yaml

OPTIONS: dict[str, Any] = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 1_000_000}
# A PyYAML built without libyaml (yaml.__with_libyaml__ False) has no CSafeDumper: same bytes, slower.
DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=DUMPER, **OPTIONS)

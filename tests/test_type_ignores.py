"""Issue 22's rule for the trees mypy checks: a `# type: ignore` names its error code (mypy's
ignore-without-code enforces that much) and says why on the same line."""
from __future__ import annotations

import re

from components.plan.run import ROOT

TREES = ("components", "policy", "scripts", "tests/e2e")
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)$")
CODED_WITH_REASON = re.compile(r"\[[a-z-]+(?:,\s*[a-z-]+)*\]\s+#\s*\S")


def unexplained(text: str) -> list[int]:
    """Line numbers of ignores without an error code and a `# reason` after it."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        m = IGNORE.search(line)
        if m and not CODED_WITH_REASON.match(m["rest"]):
            lines.append(number)
    return lines


def test_every_type_ignore_has_a_code_and_a_reason():
    bad = [f"{path.relative_to(ROOT)}:{n}" for tree in TREES for path in sorted((ROOT / tree).rglob("*.py"))
           if "venv" not in path.parts for n in unexplained(path.read_text())]
    assert bad == []


def test_the_check_refuses_a_bare_or_silent_ignore():
    assert unexplained("x = f()  # type: ignore\ny = g()  # type: ignore[arg-type]\n") == [1, 2]
    assert unexplained("z = h()  # type: ignore[arg-type, misc]  # the stub is wrong: h takes None\n") == []

"""The schedule keys are read exactly as systemd reads them: a differential test.

Settings parse calendar expressions in Python (components/settings/calendar.py) because the
user's machine may have no systemd; every expression below also goes through the real
`systemd-analyze calendar`, and the two must agree on valid / invalid / never / once.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from components.settings.calendar import calendar_problem

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed (scripts/install-test-tools.sh)")

VALID = [
    "daily", "weekly", "monthly", "hourly", "minutely", "yearly", "annually", "quarterly", "semiannually",
    "DAILY", "Daily", "*-*-* 00:00:00", "*-*-* 03:30:00", "*-*-* 00/6:00:00", "*-*-* 00/12:00:00",
    "Sun *-*-* 04:00:00", "Mon..Fri *-*-* 09:00", "Mon-Fri *-*-* 09:00", "Mon,Wed,Fri 12:00", "Sat,Sun 10:00",
    "Sunday 04:00", "sun 04:00", "*:0/15", "*:00/15:00", "*-*-1 00:00", "*-*-01 00:00:00", "*-02-29 00:00",
    "*-*~01 00:00", "*-*~3 00:00", "*-02~03 00:00", "2030-*-* 00:00", "12:00", "12:00:00", "*:*:*", "*:*",
    "Mon *-*-* *:00", "*-*-* 1,13:00", "*-*-* 01..05:00", "*-*-* 01..05/2:00", "*-1..6-1 00:00", "Mon, 12:00",
    "0:0", "1:1:1", "*-*-* 00:00:00 UTC", "*-*-* 00:00:00 Asia/Shanghai", "Mon  12:00", "*-*-* 9:0",
    "Mon..Sun *-*-* 00:00", "Mon-Wed 12:00", "*-*-* 3:30", "*-*-* 0/6:00",
]
INVALID = [
    "every day", "daily ", " daily", "*-*-* 24:00:00", "*-*-* 23:60:00", "*-*-* 00:00:61", "*-13-01 00:00",
    "*-*-32 00:00", "*-*-0 00:00", "Funday 12:00", "Mon..Funday 12:00", "*-*-* 00/0:00:00", "*-*-* */6:00:00",
    "*-*-* 00:00:00:00", "00:00 *-*-*", "*-*-* 05..01:00", "*-*~29 00:00", "tomorrow", "now",
    "*", "**-*-* 00:00", "*-*-* 00::00", "12", "-1 00:00", "*-*-* 1,,2:00", "*-*-* 1,2,:00", "Mon,,Tue 12:00",
    "*-*-* 00:00:00 Mars/Olympus", "*-*-* +1:00", "minutely hourly", "daily 12:00", "2200-01-01 00:00", "",
]
# Parsed by systemd, but they never fire again (or only once): a schedule must repeat.
NOT_REPEATING = ["2020-01-01", "2030-02-30 00:00", "1970-01-01 00:00:00", "*-02-31 00:00", "Mon 2030-01-01", "2099-01-01 03:30:00", "2030-01-07"]
# Accepted by systemd and refused here on purpose (calendar.py's docstring says why).
BY_POLICY = ["@1700000000", "*-*-* 00:00:00.5", "12:00:30.5", "*-*-* 00:00:00.000001"]


def systemd_verdict(expr: str) -> str:
    run = subprocess.run([SYSTEMD_ANALYZE, "calendar", "--iterations=2", expr], capture_output=True, text=True,
                         env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}, timeout=30)
    if run.returncode != 0:
        return "invalid"
    if "Next elapse: never" in run.stdout:
        return "never"
    return "repeats" if "Iter. #2:" in run.stdout else "once"


def our_verdict(expr: str) -> str:
    problem = calendar_problem(expr, datetime.now(UTC))
    if problem is None:
        return "repeats"
    if "never elapses" in problem:
        return "never"
    if "only once" in problem:
        return "once"
    return "invalid"


@pytest.mark.parametrize("expr", VALID + INVALID + NOT_REPEATING, ids=repr)
def test_the_validator_agrees_with_systemd(expr):
    assert our_verdict(expr) == systemd_verdict(expr)


def test_the_corpus_covers_each_verdict():
    verdicts = {systemd_verdict(e) for e in VALID} | {systemd_verdict(e) for e in INVALID} | {systemd_verdict(e) for e in NOT_REPEATING}
    assert verdicts == {"repeats", "invalid", "never", "once"}
    assert all(systemd_verdict(e) == "repeats" for e in VALID) and all(systemd_verdict(e) == "invalid" for e in INVALID)


@pytest.mark.parametrize("expr", BY_POLICY, ids=repr)
def test_policy_refusals_are_forms_systemd_accepts(expr):
    # The only disagreements are these, and they are deliberate: systemd parses them.
    assert systemd_verdict(expr) != "invalid"
    problem = calendar_problem(expr)
    assert problem is not None and ("epoch" in problem or "sub-second" in problem)

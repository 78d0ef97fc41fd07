"""systemd calendar expressions (OnCalendar=, systemd.time(7)), checked as systemd reads them.

Settings run on the user's machine, which may have no systemd, so the expression is parsed in
Python by `oncalendar` (a port of systemd's calendarspec.c rules, pinned in requirements.txt).
tests/test_settings_calendar.py runs the same corpus through the real `systemd-analyze calendar`
and fails on any disagreement. Two forms systemd accepts are refused here on purpose, for a
recurring job: sub-second times (`00:00:00.5`) and one-off epoch timestamps (`@1700000000`).
"""
from __future__ import annotations

import re
from datetime import datetime, UTC

import oncalendar

_FRACTION = re.compile(r"\d\.\d")


def calendar_problem(expr: str, now: datetime | None = None) -> str | None:
    """None if `expr` is a systemd calendar expression that elapses again, else what is wrong."""
    example = "e.g. daily, Sun *-*-* 04:00:00 or *-*-* 00/6:00:00 (systemd.time(7), CALENDAR EVENTS)"
    if not expr or expr != expr.strip() or "\n" in expr or "\t" in expr:
        return f"must be one systemd calendar expression without surrounding spaces; {example}"
    if expr.startswith("@"):
        return f"an epoch timestamp (@seconds) fires once; a schedule must repeat: {example}"
    if _FRACTION.search(expr):
        return f"sub-second times are not for a recurring job: use whole seconds; {example}"
    now = now or datetime.now(UTC)
    try:
        elapses = oncalendar.OnCalendar(expr, now)
        next(elapses)
    except oncalendar.OnCalendarError as err:
        return f"not a systemd calendar expression ({err}); {example}"
    except StopIteration:
        return f"never elapses after {now:%Y-%m-%d} (systemd-analyze calendar says: never); {example}"
    try:
        next(elapses)
    except StopIteration:
        return f"elapses only once, a schedule must repeat; {example}"
    return None

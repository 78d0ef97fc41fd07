"""node-exporter textfile metrics, written atomically (tmp file + rename in the same directory),
so the exporter never scrapes a half-written file.

A failed run must not erase the time of the last success (that is what the alert measures),
so the previous value is carried over from the existing file.
"""
from __future__ import annotations

import os
import re
import tempfile

HELP = {
    "xqfc_backup_last_success_timestamp_seconds": ("gauge", "Unix time of the last verified backup."),
    "xqfc_backup_last_run_success": ("gauge", "1 if the last backup run succeeded, else 0."),
    "xqfc_backup_duration_seconds": ("gauge", "Wall time of the last backup run."),
    "xqfc_backup_size_bytes": ("gauge", "Size of the last stored backup object."),
    "xqfc_restore_drill_last_success_timestamp_seconds": ("gauge", "Unix time of the last passing restore drill."),
    "xqfc_restore_drill_last_run_success": ("gauge", "1 if the last restore drill passed, else 0."),
    "xqfc_restore_drill_duration_seconds": ("gauge", "Wall time of the last restore drill."),
    "xqfc_restore_drill_tables_checked": ("gauge", "Tables compared by the last restore drill."),
}
_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)\Z")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def read_previous(path: str, metric: str) -> float | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                match = _LINE.match(line.strip())
                if match and match.group(1) == metric:
                    return float(match.group(3))
    except (OSError, ValueError):
        return None
    return None


def write_textfile(directory: str, filename: str, values: dict[str, float],
                   labels: dict[str, str]) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename)
    lines = []
    for metric in sorted(values):
        kind, text = HELP[metric]
        lines += [f"# HELP {metric} {text}", f"# TYPE {metric} {kind}",
                  f"{metric}{_labels(labels)} {values[metric]:.17g}"]
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.chmod(tmp, 0o644)  # node-exporter runs as another user
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def record_backup(directory: str | None, kind: str, ok: bool, now: float, duration: float,
                  size: int | None) -> None:
    if not directory:
        return
    filename = f"xqfc_backup_{kind}.prom"
    path = os.path.join(directory, filename)
    last_ok = now if ok else read_previous(path, "xqfc_backup_last_success_timestamp_seconds")
    values = {"xqfc_backup_last_run_success": 1.0 if ok else 0.0,
              "xqfc_backup_duration_seconds": duration}
    if last_ok is not None:
        values["xqfc_backup_last_success_timestamp_seconds"] = last_ok
    previous_size = read_previous(path, "xqfc_backup_size_bytes")
    if size is not None:
        values["xqfc_backup_size_bytes"] = float(size)
    elif previous_size is not None:
        values["xqfc_backup_size_bytes"] = previous_size
    write_textfile(directory, filename, values, {"kind": kind})


def record_drill(directory: str | None, kind: str, ok: bool, now: float, duration: float,
                 tables: int, mode: str) -> None:
    """`mode`: "snapshot" (compared with the backup's own statistics), "live" (with the source
    database, which writes since the backup disturb) or "unknown" (failed before it was known)."""
    if not directory:
        return
    filename = f"xqfc_restore_drill_{kind}.prom"
    path = os.path.join(directory, filename)
    last_ok = now if ok else read_previous(path, "xqfc_restore_drill_last_success_timestamp_seconds")
    values = {"xqfc_restore_drill_last_run_success": 1.0 if ok else 0.0,
              "xqfc_restore_drill_duration_seconds": duration,
              "xqfc_restore_drill_tables_checked": float(tables)}
    if last_ok is not None:
        values["xqfc_restore_drill_last_success_timestamp_seconds"] = last_ok
    write_textfile(directory, filename, values, {"kind": kind, "mode": mode})

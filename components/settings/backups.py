"""Backups: the bucket (a cloud's, or any S3-compatible one on cloud ssh), retention, schedules."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.calendar import calendar_problem
from components.settings.errors import Problem

if TYPE_CHECKING:
    from components.settings.model import Settings
    from components.settings.placement import Environment

# Used with fullmatch: `$` would let a trailing newline through.
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,38}[a-z0-9]")
# S3 bucket names (AWS "Bucket naming rules"; MinIO, COS and OSS accept the same subset).
_S3_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
PROD_MIN_RETENTION_DAYS = 30


class BackupFields(Fields):
    if TYPE_CHECKING:  # fields of the other groups that Settings combines with this one
        environment: Environment

        @property
        def on_existing_host(self) -> bool: ...

    bucket_name: str | None = None
    backup_retention_days: int = Field(7, ge=1, le=3650)
    backup_schedule: str = "daily"
    backup_keep_newest: int = Field(3, ge=1, le=100)
    backup_local_days: int = Field(2, ge=1, le=30)
    drill_schedule: str = "Sun *-*-* 04:00:00"
    redis_snapshot_schedule: str = "*-*-* 03:30:00"

    # --- an existing host's object storage (cloud: ssh) -----------------------------------
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    # "" = virtual-hosted on a cloud (OSS accepts nothing else), path on ssh (MinIO's default).
    s3_addressing_style: Literal["", "virtual", "path"] = ""

    @field_validator("bucket_name")
    @classmethod
    def _bucket(cls, v: str | None) -> str | None:
        if v is not None and not _BUCKET_RE.fullmatch(v):
            raise ValueError("must be 3-40 characters of a-z, 0-9 and '-', not starting or ending with '-'")
        return v

    @field_validator("backup_schedule", "drill_schedule", "redis_snapshot_schedule")
    @classmethod
    def _calendar(cls, v: str) -> str:
        # systemd OnCalendar, parsed as systemd does (calendar.py; differential test against systemd-analyze).
        problem = calendar_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("s3_region")
    @classmethod
    def _s3_region(cls, v: str) -> str:
        # Goes into the SigV4 credential scope (<date>/<region>/s3/aws4_request): one lower-case word.
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", v):
            raise ValueError("must be the service's region name for request signing, e.g. us-east-1 (MinIO's default) or cn-hangzhou")
        return v

    @field_validator("s3_endpoint")
    @classmethod
    def _s3_endpoint(cls, v: str) -> str:
        if v == "":
            return v
        # Keys and dumps cross this endpoint: plain http only to this machine itself.
        allowed = "must be an https:// URL of an S3-compatible service, no path (http:// only for 127.0.0.1)"
        try:
            scheme, host, _, path = formats.url_parts(v, ("https", "http"))
        except ValueError as e:
            raise ValueError(f"{e}; {allowed}") from None
        if path not in ("", "/") or (scheme == "http" and host not in ("127.0.0.1", "localhost", "[::1]")):
            raise ValueError(allowed)
        return v.rstrip("/")

    @field_validator("s3_bucket")
    @classmethod
    def _s3_bucket(cls, v: str) -> str:
        if v and (not _S3_BUCKET_RE.fullmatch(v) or ".." in v):
            raise ValueError("must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit")
        return v

    @property
    def s3_addressing(self) -> str:
        return self.s3_addressing_style or ("path" if self.on_existing_host else "virtual")

    @property
    def bucket_base_name(self) -> str:
        from components.settings.base import PROJECT

        return self.bucket_name or f"{PROJECT}-{self.environment}"


# --- cross-field checks -------------------------------------------------------------------


def prod_retention(s: Settings, ctx: Context) -> list[Problem]:
    if s.is_prod and s.backup_retention_days < PROD_MIN_RETENTION_DAYS:
        return [Problem("backupRetentionDays", s.backup_retention_days, f"prod keeps backups at least {PROD_MIN_RETENTION_DAYS} days")]
    return []


def local_copies_within_retention(s: Settings, ctx: Context) -> list[Problem]:
    if s.backup_local_days > s.backup_retention_days:
        return [Problem("backupLocalDays", s.backup_local_days, f"cannot exceed backupRetentionDays ({s.backup_retention_days})")]
    return []


CHECKS = [prod_retention, local_copies_within_retention]

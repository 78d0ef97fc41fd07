"""systemd units that run the backup tool on the VM: PostgreSQL backups, the weekly restore
drill, Redis snapshots. Pure: settings in, unit texts out.

Non-secret settings travel as `Environment=` lines the tool reads (XQFC_BACKUP_*); secrets
(the bucket key, the Redis password) only in the root-only EnvironmentFile, whose text
`render_credentials_env` makes from values the caller passes in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}\Z")
_CONTAINER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# Values that need no quoting in an EnvironmentFile: what cloud access keys and a RandomPassword
# with special=False produce. Anything else is refused rather than escaped by guesswork.
_SAFE_SECRET = re.compile(r"^[A-Za-z0-9/+=._-]+\Z")


@dataclass(frozen=True)
class BackupScheduleSettings:
    backup_schedule: str  # systemd OnCalendar, e.g. "*-*-* 00/6:00:00"
    drill_schedule: str  # e.g. "Sun *-*-* 04:00:00"
    redis_schedule: str  # e.g. "daily"
    retention_days: int
    keep_newest: int
    local_days: int
    bucket: str
    endpoint_url: str
    region: str
    database: str = "xqfc"
    prefix: str = "backups/"
    addressing_style: str = "virtual"  # OSS accepts only virtual-hosted style; COS both
    postgres_container: str = "xqfc-postgres"
    postgres_user: str = "postgres"
    redis_container: str = "xqfc-redis"
    redis_rdb_path: str = "/srv/xqfc/redis/dump.rdb"  # host path of Redis's data volume
    tool_dir: str = "/opt/xqfc/backup-tool"  # holds components/__init__.py + components/backup/
    python: str = "/usr/bin/python3"
    env_file: str = "/etc/xqfc/backup.env"
    local_dir: str = "/var/backups/xqfc"
    textfile_dir: str = "/var/lib/prometheus/node-exporter"
    # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
    work_dir: str = "/var/tmp"  # nosec B108
    randomized_delay_sec: int = 300
    timeout_sec: int = 3 * 3600
    # ha: a managed PostgreSQL outside Docker. The client tools run in a throwaway container of
    # this image (same major or newer than the server), PGPASSWORD from the EnvironmentFile.
    managed_postgres_host: str = ""
    managed_postgres_port: int = 5432
    postgres_client_image: str = ""
    # ha: the managed Redis keeps its own backups; there is no RDB file on a host to upload.
    redis_snapshots: bool = True

    def __post_init__(self) -> None:
        errors = []
        for field in ("backup_schedule", "drill_schedule", "redis_schedule"):
            value = getattr(self, field)
            if not value.strip() or "\n" in value or "%" in value:
                errors.append(f"{field}: {value!r} is not an OnCalendar expression")
        for field in ("retention_days", "keep_newest", "local_days", "timeout_sec"):
            if getattr(self, field) < 1:
                errors.append(f"{field} must be >= 1")
        if self.local_days > self.retention_days:
            errors.append("local_days must not exceed retention_days (local copies are only "
                          "deleted while their upload is still in the bucket)")
        for field in ("tool_dir", "python", "env_file", "local_dir", "textfile_dir", "work_dir",
                      "redis_rdb_path"):
            value = getattr(self, field)
            if not value.startswith("/") or any(c in value for c in ' "\'%\n\\'):
                errors.append(f"{field}: {value!r} must be an absolute path without spaces or quotes")
        if not _NAME.match(self.database) or not _NAME.match(self.postgres_user):
            errors.append("database and postgres_user must be plain identifiers")
        for field in ("postgres_container", "redis_container"):
            if not _CONTAINER.match(getattr(self, field)):
                errors.append(f"{field}: not a container name")
        for field in ("bucket", "endpoint_url", "region", "prefix"):
            value = getattr(self, field)
            if not value or any(c in value for c in ' "\'%\n\\'):
                errors.append(f"{field}: {value!r} is empty or has spaces, quotes or %")
        if self.addressing_style not in ("virtual", "path", "auto"):
            errors.append("addressing_style must be virtual, path or auto")
        if errors:
            raise ValueError("invalid backup schedule settings: " + "; ".join(errors))


Section = tuple[str, list[tuple[str, str]]]


def _unit_text(sections: list[Section]) -> str:
    blocks = []
    for name, entries in sections:
        blocks.append("\n".join([f"[{name}]", *(f"{key}={value}" for key, value in entries)]))
    return "\n\n".join(blocks) + "\n"


def _environment(values: dict[str, str]) -> list[tuple[str, str]]:
    # Whole assignment quoted (values hold spaces); % doubled since systemd expands specifiers.
    return [("Environment", '"' + f"{k}={v}".replace("%", "%%") + '"')
            for k, v in values.items()]


def _common_env(s: BackupScheduleSettings) -> dict[str, str]:
    return {
        "XQFC_BACKUP_BUCKET": s.bucket,
        "XQFC_BACKUP_ENDPOINT_URL": s.endpoint_url,
        "XQFC_BACKUP_REGION": s.region,
        "XQFC_BACKUP_PREFIX": s.prefix,
        "XQFC_BACKUP_ADDRESSING_STYLE": s.addressing_style,
        "XQFC_BACKUP_TEXTFILE_DIR": s.textfile_dir,
        "XQFC_BACKUP_LOCAL_DIR": s.local_dir,
        "XQFC_BACKUP_WORK_DIR": s.work_dir,
        "XQFC_BACKUP_RETENTION_DAYS": str(s.retention_days),
        "XQFC_BACKUP_KEEP_NEWEST": str(s.keep_newest),
        "XQFC_BACKUP_LOCAL_DAYS": str(s.local_days),
    }


def _pg_env(s: BackupScheduleSettings) -> dict[str, str]:
    # The server's own client tools, inside its container, over the local socket: the dump
    # always matches the server's major version and needs no published port or password.
    exec_ = f"docker exec -i {s.postgres_container}"
    if s.managed_postgres_host:
        exec_ = (f"docker run --rm -i --network host -e PGPASSWORD -e PGHOST={s.managed_postgres_host} "
                 f"-e PGPORT={s.managed_postgres_port} {s.postgres_client_image}")
    return {
        "XQFC_BACKUP_DATABASE": s.database,
        "XQFC_BACKUP_PG_DUMP_CMD": f"{exec_} pg_dump -U {s.postgres_user}",
        "XQFC_BACKUP_PG_RESTORE_CMD": f"{exec_} pg_restore -U {s.postgres_user}",
        "XQFC_BACKUP_PSQL_CMD": f"{exec_} psql -U {s.postgres_user}",
    }


def _service(s: BackupScheduleSettings, description: str, command: str,
             env: dict[str, str]) -> str:
    return _unit_text([
        ("Unit", [("Description", description),
                  ("Wants", "docker.service network-online.target"),
                  ("After", "docker.service network-online.target")]),
        ("Service", [
            ("Type", "oneshot"),
            ("WorkingDirectory", s.tool_dir),
            ("EnvironmentFile", s.env_file),
            *_environment(env),
            ("ExecStart", f"{s.python} -m components.backup {command}"),
            ("TimeoutStartSec", str(s.timeout_sec)),
            # Backups must not starve the site on a 2-core VM.
            ("Nice", "10"),
            ("IOSchedulingClass", "idle"),
            ("PrivateTmp", "true"),
            ("ProtectHome", "true"),
            ("NoNewPrivileges", "true"),
            ("UMask", "0077"),
        ]),
    ])


def _timer(s: BackupScheduleSettings, description: str, on_calendar: str) -> str:
    return _unit_text([
        ("Unit", [("Description", description)]),
        ("Timer", [("OnCalendar", on_calendar),
                   # A VM that was off at the scheduled time runs the job at boot.
                   ("Persistent", "true"),
                   ("RandomizedDelaySec", str(s.randomized_delay_sec)),
                   ("AccuracySec", "1min")]),
        ("Install", [("WantedBy", "timers.target")]),
    ])


RESTORE_TEMPLATE = "xqfc-restore@.service"
POSTGRES_BACKUP, RESTORE_DRILL, REDIS_SNAPSHOT = "xqfc-backup-postgres", "xqfc-restore-drill", "xqfc-backup-redis"


def scheduled_jobs(redis_snapshots: bool) -> list[str]:
    """Base names of the timer-driven jobs; each has a `.service` and a `.timer`."""
    return [POSTGRES_BACKUP, RESTORE_DRILL, *([REDIS_SNAPSHOT] if redis_snapshots else [])]


def timer_names(redis_snapshots: bool) -> list[str]:
    return [f"{job}.timer" for job in scheduled_jobs(redis_snapshots)]


def unit_names(redis_snapshots: bool) -> list[str]:
    """Every file render_backup_units returns, known before any value is."""
    return sorted([f"{job}.{kind}" for job in scheduled_jobs(redis_snapshots) for kind in ("service", "timer")]
                  + [RESTORE_TEMPLATE])


def render_backup_units(s: BackupScheduleSettings) -> dict[str, str]:
    """File name -> unit text, for /etc/systemd/system. Enable the three `.timer`s; the
    `xqfc-restore@.service` template is for disaster recovery only."""
    common = _common_env(s)
    redis_env = {**common, "XQFC_BACKUP_REDIS_CLI_CMD":
                 f"docker exec -e REDISCLI_AUTH {s.redis_container} redis-cli"}
    jobs = {
        POSTGRES_BACKUP: ("PostgreSQL backup to object storage", "backup",
                                 {**common, **_pg_env(s)}, s.backup_schedule),
        RESTORE_DRILL: ("Restore drill: latest PostgreSQL backup into a scratch database",
                               "drill", {**common, **_pg_env(s)}, s.drill_schedule),
        REDIS_SNAPSHOT: ("Redis RDB snapshot to object storage",
                              f"redis-snapshot --name redis --rdb {s.redis_rdb_path}",
                              redis_env, s.redis_schedule),
    }
    units = {}
    for base in scheduled_jobs(s.redis_snapshots):
        description, command, env, calendar = jobs[base]
        units[f"{base}.service"] = _service(s, description, command, env)
        units[f"{base}.timer"] = _timer(s, description, calendar)
    # Started by hand (or scripts/dr-restore.sh), never by a timer: `systemctl start
    # xqfc-restore@latest` or `xqfc-restore@20261122T060000Z`. --force keeps the database it
    # replaces, renamed, so this is undoable.
    units[RESTORE_TEMPLATE] = _service(s, "Restore PostgreSQL backup %i into the live database",
                                       "restore --force --timestamp %i",
                                       {**common, **_pg_env(s)})
    return units


def render_credentials_env(access_key_id: str, secret_access_key: str,
                           redis_password: str | None = None, postgres_password: str | None = None) -> str:
    """Text of the EnvironmentFile (install it mode 0600, root). Secrets come in as parameters."""
    values = {"AWS_ACCESS_KEY_ID": access_key_id, "AWS_SECRET_ACCESS_KEY": secret_access_key}
    if redis_password is not None:
        values["REDISCLI_AUTH"] = redis_password
    if postgres_password is not None:
        values["PGPASSWORD"] = postgres_password
    for key, value in values.items():
        if not _SAFE_SECRET.match(value):
            raise ValueError(f"{key} has characters an EnvironmentFile would need quoted; "
                             "use [A-Za-z0-9/+=._-] (e.g. RandomPassword special=False)")
    return "".join(f"{k}={v}\n" for k, v in values.items())

"""The backup job on the VM: the tool, its credentials and its systemd timers.

The tool (components/backup, stdlib + boto3 only) runs on the host, reaching PostgreSQL and
Redis with `docker exec`, so dumps come from the server's own pg_dump. Its metrics land in
node-exporter's textfile directory, where the backup-age alerts read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pulumi
from pulumi_command import remote

from components.foundation import DatabaseEndpoint
from components.render.backup_schedule import (
    BackupScheduleSettings,
    render_backup_units,
    render_credentials_env,
    timer_names,
    unit_names,
)
from components.runtime.files import CONFIG_ROOT, FileSpec, RemoteFiles, files_options
from components.runtime.monitoring import TEXTFILE_DIR
from components.settings import Settings

TOOL_DIR = f"{CONFIG_ROOT}/backup-tool"
UNIT_DIR = f"{CONFIG_ROOT}/backup/systemd"
ENV_FILE = f"{CONFIG_ROOT}/backup/backup.env"
PACKAGE = Path(__file__).resolve().parents[1]


def tool_files() -> dict[str, str]:
    """The backup package as shipped: relative path -> source."""
    files = {"components/__init__.py": (PACKAGE / "__init__.py").read_text()}
    for path in sorted((PACKAGE / "backup").glob("*.py")):
        files[f"components/backup/{path.name}"] = path.read_text()
    return files


def schedule(s: Settings, bucket: str, endpoint: str, region: str, managed_db: tuple[str, int] | None = None) -> BackupScheduleSettings:
    managed: dict[str, Any] = {} if managed_db is None else {
        "managed_postgres_host": managed_db[0], "managed_postgres_port": managed_db[1],
        "postgres_client_image": s.postgres_image, "redis_snapshots": False,
    }
    return BackupScheduleSettings(
        backup_schedule=s.backup_schedule,
        drill_schedule=s.drill_schedule,
        redis_schedule=s.redis_snapshot_schedule,
        retention_days=s.backup_retention_days,
        keep_newest=s.backup_keep_newest,
        local_days=s.backup_local_days,
        bucket=bucket,
        endpoint_url=endpoint,
        region=region,
        database=s.db_name,
        postgres_user=s.db_user,
        redis_rdb_path=f"{s.docker_root}/volumes/xqfc-redisdata/_data/dump.rdb",
        tool_dir=TOOL_DIR,
        env_file=ENV_FILE,
        local_dir=f"{s.data_mount_path}/backups",
        textfile_dir=TEXTFILE_DIR,
        addressing_style=s.s3_addressing,
        # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
        work_dir=f"{s.data_mount_path}/tmp",  # nosec B108
        **managed,
    )


@dataclass(frozen=True)
class BackupArgs:
    settings: Settings
    connection: remote.ConnectionArgs
    bucket: pulumi.Output[str]
    s3_endpoint: str
    region: str
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]
    redis_password: pulumi.Output[str] | None
    depends_on: list[pulumi.Resource]
    # ha: dump and drill against the managed PostgreSQL; no Redis snapshot.
    database: DatabaseEndpoint | None = None


class Backups(pulumi.ComponentResource):
    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:Backups", name, None, opts)
        s = args.settings
        db = args.database
        if db is None:
            self.units = args.bucket.apply(lambda b: render_backup_units(schedule(s, b, args.s3_endpoint, args.region)))
            env = pulumi.Output.all(args.access_key_id, args.secret_access_key, args.redis_password).apply(
                lambda a: render_credentials_env(a[0], a[1], a[2])
            )
        else:
            self.units = pulumi.Output.all(args.bucket, db.host, db.port).apply(
                lambda a: render_backup_units(schedule(s, a[0], args.s3_endpoint, args.region, (a[1], int(a[2]))))
            )
            env = pulumi.Output.all(args.access_key_id, args.secret_access_key, db.password).apply(
                lambda a: render_credentials_env(a[0], a[1], postgres_password=a[2])
            )
        # The managed Redis of the ha topology keeps its own backups: no snapshot job.
        timers = tuple(timer_names(redis_snapshots=db is None))
        self.timers = timers
        files = [FileSpec(f"{TOOL_DIR}/{rel}", text) for rel, text in tool_files().items()]
        self.unit_names = unit_names(redis_snapshots=db is None)
        files += [FileSpec(f"{UNIT_DIR}/{unit}", self.units.apply(itemgetter(unit))) for unit in self.unit_names]
        files.append(FileSpec(ENV_FILE, pulumi.Output.secret(env), mode="0600"))
        self.files = RemoteFiles(f"{name}-files", args.connection, files, files_options(self, opts))
        # The timers are what "backups are scheduled" means; the guardrails look for this command.
        self.install = remote.Command(
            f"{name}-install",
            connection=args.connection, add_previous_output_in_env=False,
            create=(
                # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
                "set -eu; "  # nosec B108
                f"sudo install -d -m 0755 {TEXTFILE_DIR} {s.data_mount_path}/backups {s.data_mount_path}/tmp; "
                f"sudo install -m 0644 {UNIT_DIR}/*.service {UNIT_DIR}/*.timer /etc/systemd/system/; "
                "sudo systemctl daemon-reload; "
                f"sudo systemctl enable --now {' '.join(timers)}"
            ),
            delete=f"sudo systemctl disable --now {' '.join(timers)} || true",
            triggers=[self.files.digest],
            # A trigger replaces the command, and a replace is create-before-delete by default
            # (pulumi/pulumi pkg/resource/deploy/step_generator.go): the old `delete` would run
            # last and disable the timers the new `create` just enabled.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.files.commands, *args.depends_on], delete_before_replace=True),
        )
        self.register_outputs({"timers": list(timers)})

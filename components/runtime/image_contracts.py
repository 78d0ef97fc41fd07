"""What the stack may assume about each upstream image it runs: a sourced data table.

One `ImageContract` per image settings key (components/settings/services.py: `postgres_image`,
`redis_image`, ...). Each field records what the UPSTREAM image (the settings default) does:
the account it runs as, what its entrypoint does before the service starts, the paths it reads
and writes, the `*_FILE` variables it understands and the binaries a health check can use.
The container specs in components/runtime/*.py rely on these facts, and the local images of the
end-to-end run (tests/e2e/images/, built from Debian packages because no registry is reachable)
must honour them; tests/e2e/test_images.py checks the local images against this table.

How to extend it
  * A new image: add an entry keyed by its settings key. Read the upstream Dockerfile and
    entrypoint AT THE TAG the settings default pins (or the image history in
    docker-library/repo-info for official images), fill in every field, and list what you read
    in `sources` (URL with tag/commit, or repository:path@commit). Add the local image folder
    tests/e2e/images/<local name>/ and set `local_image`.
  * A field you could not confirm from a source: leave it at its empty default and say so in
    `unverified` instead of guessing.
  * A new settings default (an upgraded tag): re-read the sources at the new tag; uids and
    entrypoints do change between versions (postgres alpine moved from su-exec to gosu, redis
    from gosu to setpriv after the 7.4.6 we pin, blackbox_exporter dropped its USER).

Plain data only: no Pulumi imports, so the plan, the tests and the e2e scripts can all read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileRead:
    """A file or folder (container path) the image reads, what it must hold, and who reads it:
    "service" (the uid the service runs as) or "root" (the entrypoint, before it drops privileges)."""
    path: str
    format: str
    reader: str = "service"


@dataclass(frozen=True)
class HostAccess:
    """What of the host an exporter must see to report the host's numbers, not its container's."""
    pid_host: bool = False
    network_host: bool = False
    # (host path, container path) read-only bind mounts; "{docker_root}" is Docker's data root.
    mounts: tuple[tuple[str, str], ...] = ()
    devices: tuple[str, ...] = ()
    # What the upstream documentation also shows but the stack deliberately leaves out, and why.
    declined: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngineSupport:
    """Docker Engine releases and image stores the image works with (the VM's engine is pinned in
    components/render/host_packages.py). `below` is exclusive; "" means no bound known."""
    at_least: str = ""
    below: str = ""
    image_stores: tuple[str, ...] = ("overlay2", "containerd")
    why: str = "does not talk to the Docker API: any engine that runs OCI images"


@dataclass(frozen=True)
class ImageContract:
    upstream: str                     # repo:tag, the settings default
    user: str                         # the image's USER (name, or "uid" when the image has no passwd entry)
    uid: int                          # uid the service process ends up as
    gid: int                          # its primary gid
    entrypoint: str                   # what ENTRYPOINT/CMD do, in short
    starts_as_root: bool              # True: starts as root and drops privileges itself
    image_user: str                   # Config.User exactly ("" = none, i.e. root)
    image_entrypoint: tuple[str, ...] # Config.Entrypoint exactly
    image_cmd: tuple[str, ...]        # Config.Cmd exactly
    config_paths: tuple[str, ...]     # what it reads (present in the image)
    data_paths: tuple[str, ...]       # what it writes (volumes, state; present in the image)
    owned_paths: tuple[str, ...]      # of those, owned by uid in the image
    file_env: tuple[str, ...]         # supported *_FILE variables (or flags taking a file)
    health_binaries: tuple[str, ...]  # on PATH in the image, usable by a HEALTHCHECK
    sources: tuple[str, ...]          # what was read to fill this in
    local_image: str                  # the e2e stand-in built by tests/e2e/images/build.sh
    stand_in: bool = False            # True: the local image only imitates the service (no Debian package)
    unverified: tuple[str, ...] = ()  # fields that could not be confirmed from a source
    notes: str = ""
    # uid of the process `docker stop` signals (the one the entrypoint finally execs), when it
    # is not `uid`: nginx's master stays root and only its workers run as nginx.
    main_uid: int | None = None
    # What the running service writes (must be a volume, a tmpfs or a writable bind under a
    # read-only root), and settings that switch such a write off: (path, "ENV=value").
    writes: tuple[str, ...] = ()
    write_opt_outs: tuple[tuple[str, str], ...] = ()
    # Capabilities the entrypoint needs while it is root (chown, setuid, ...), when it starts as root,
    # spelled as the engine returns them (runtime/provider_behaviour.py canonical_capability).
    root_caps: tuple[str, ...] = ()
    reads: tuple[FileRead, ...] = ()
    # The least memory (MiB) the limit may give it, and where that number comes from.
    memory_floor_mb: int = 0
    memory_source: str = ""
    # The upstream version `sources` describe (the tag read, e.g. "3.5.0", or the line, "17"), and
    # the first and last release a documented (not "derived") memory figure is stated for.
    # tests/test_fact_versions.py checks both against the version every stack pins; a mismatch
    # must be named in `unverified`.
    describes: str = ""
    memory_describes: tuple[str, str] = ("", "")
    # Tags the stacks pin that the sources were NOT read at, each named in `unverified` with why:
    # the only way a pin may differ from `describes` (tests/test_fact_versions.py).
    unread_pins: tuple[str, ...] = ()
    host_access: HostAccess = field(default_factory=HostAccess)
    engine: EngineSupport = field(default_factory=EngineSupport)

    @property
    def signalled_uid(self) -> int:
        return self.uid if self.main_uid is None else self.main_uid


_BUSYBOX = ("sh", "wget")  # busybox applets in alpine and quay.io/prometheus/busybox bases

CONTRACTS: dict[str, ImageContract] = {
    "postgres_image": ImageContract(
        upstream="postgres:17-alpine",
        describes="17",
        user="postgres", uid=70, gid=70,
        entrypoint=("docker-entrypoint.sh postgres: as root reads the *_FILE secrets, creates PGDATA (0700) and "
                    "/var/run/postgresql (3775) and chowns them to postgres, re-execs itself via `gosu postgres`; "
                    "on an empty PGDATA runs initdb (POSTGRES_INITDB_ARGS), appends `host all all all "
                    "<password_encryption>` to pg_hba.conf, creates POSTGRES_DB on a socket-only temporary server, "
                    "runs /docker-entrypoint-initdb.d/*; then execs postgres. STOPSIGNAL SIGINT."),
        starts_as_root=True,
        image_user="", image_entrypoint=("docker-entrypoint.sh",), image_cmd=("postgres",),
        config_paths=("/docker-entrypoint-initdb.d",),
        data_paths=("/var/lib/postgresql/data", "/var/run/postgresql"),
        owned_paths=("/var/lib/postgresql/data", "/var/run/postgresql"),
        file_env=("POSTGRES_PASSWORD_FILE", "POSTGRES_USER_FILE", "POSTGRES_DB_FILE", "POSTGRES_INITDB_ARGS_FILE"),
        health_binaries=("pg_isready", "psql", "pg_dump", "pg_restore", "postgres", "gosu", *_BUSYBOX),
        sources=(
            "docker-library/postgres:17/alpine3.22/Dockerfile@6edb0a8c4def40c371514b34aef9037ec82d9110 "
            "(addgroup -g 70 -S postgres; adduser -u 70 -S -D -G postgres -H -h /var/lib/postgresql -s /bin/sh postgres; "
            "gosu 1.19; install -d -o postgres -m 3777 /var/run/postgresql; PGDATA 1777; VOLUME; STOPSIGNAL SIGINT; CMD postgres)",
            "docker-library/postgres:17/alpine3.22/docker-entrypoint.sh@6edb0a8c (file_env, docker_create_db_directories, "
            "`exec gosu postgres \"$BASH_SOURCE\" \"$@\"`)",
        ),
        writes=("/var/lib/postgresql/data", "/var/run/postgresql"),
        root_caps=("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID"),
        reads=(FileRead("$POSTGRES_PASSWORD_FILE", "the password, one line, no newline needed", reader="root"),
               FileRead("config_file=<path> (postgres -c)", "postgresql.conf syntax")),
        memory_floor_mb=256,
        memory_source=("derived: shared_buffers defaults to 128MB (postgresql.org/docs/17/runtime-config-resource.html); "
                       "the stack sets a quarter of the limit, so 256 MiB keeps that default plus backends and work_mem"),
        local_image="xqfc-e2e/postgres:local",
        notes=("PGDATA defaults to /var/lib/postgresql/data (VOLUME). The local image runs Debian trixie's "
               "postgresql-17 with an entrypoint of our own that has this behaviour."),
    ),
    "redis_image": ImageContract(
        upstream="redis:7-alpine",
        describes="7.4.6",
        user="redis", uid=999, gid=1000,
        entrypoint=("docker-entrypoint.sh redis-server: a flag or *.conf first argument means redis-server; as root "
                    "chowns what in /data is not redis's and re-execs via `gosu redis` (7.4.6 ships gosu 1.17, not "
                    "setpriv); sets umask 0077 when it is 0022; execs the command."),
        starts_as_root=True,
        image_user="", image_entrypoint=("docker-entrypoint.sh",), image_cmd=("redis-server",),
        config_paths=(),
        data_paths=("/data",),
        owned_paths=("/data",),
        file_env=(),
        health_binaries=("redis-cli", "redis-server", "sed", "grep", *_BUSYBOX),
        sources=(
            "docker-library/repo-info:repos/redis/remote/7-alpine.md, the revision describing REDIS_VERSION=7.4.6 "
            "(built Fri, 03 Oct 2025; read 2026-12-05 from the stored index, id 55049415878): addgroup -S -g 1000 redis; "
            "adduser -S -G redis -u 999 redis; apk add tzdata; ENV GOSU_VERSION=1.17 and the gosu install; "
            "mkdir /data && chown redis:redis /data; VOLUME /data; WORKDIR /data; ENTRYPOINT docker-entrypoint.sh; CMD redis-server",
            "docker-library/redis:7.2/alpine/docker-entrypoint.sh@e92049967d6baa9b4b3d6fd950553e6458e61f13 "
            "(argument rewrite, chown, umask 0077; that older revision drops privileges with gosu)",
        ),
        writes=("/data",),
        root_caps=("CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"),
        reads=(FileRead("redis.conf (first argument)", "redis.conf syntax; requirepass inside"),),
        memory_floor_mb=32,
        memory_source=("derived: redis.io FAQ, an empty instance uses about 3 MB; the stack's limit is maxmemory plus "
                       "at least 64 MiB for the fork of a snapshot (components/runtime/data.py)"),
        local_image="xqfc-e2e/redis:local",
        unverified=("the docker-entrypoint.sh text of the 7.4.6 build was not read (docker-library/redis's snapshot "
                    "ends in 2024, at 7.4-rc): its steps come from the 7.2 revision, the gosu drop from the 7.4.6 image "
                    "history; the local image re-execs with setpriv, the same uid/gid switch",),
        notes="Debian trixie packages Redis 8.0, not 7.4: the local image runs 8.0.",
    ),
    "nginx_image": ImageContract(
        upstream="nginx:1.28-alpine",
        describes="1.28.0",
        user="nginx", uid=101, gid=101, main_uid=0,
        entrypoint=("/docker-entrypoint.sh nginx -g 'daemon off;': runs/sources /docker-entrypoint.d/*.sh|*.envsh "
                    "(ipv6 listen, local resolvers, envsubst templates, worker tuning), then execs nginx. The master "
                    "stays root (no USER); workers switch to `user nginx` from nginx.conf. STOPSIGNAL SIGQUIT."),
        starts_as_root=True,
        image_user="", image_entrypoint=("/docker-entrypoint.sh",), image_cmd=("nginx", "-g", "daemon off;"),
        config_paths=("/etc/nginx/nginx.conf", "/etc/nginx/conf.d", "/etc/nginx/mime.types", "/docker-entrypoint.d"),
        data_paths=("/var/cache/nginx", "/var/log/nginx"),
        owned_paths=(),
        file_env=(),
        health_binaries=("nginx", "curl", *_BUSYBOX),
        sources=(
            "docker-library/repo-info:repos/nginx/remote/stable-alpine-perl.md, the revision describing NGINX_VERSION=1.28.0 "
            "(built Wed, 23 Apr 2025; read 2026-12-05 from the stored index, id 54488619771; its first layers are the "
            "1.28-alpine image): addgroup -g 101 -S nginx; adduser -S -D -H -u 101 -h /var/cache/nginx -s /sbin/nologin "
            "-G nginx -g nginx nginx; access/error log symlinks to /dev/stdout and /dev/stderr; mkdir /docker-entrypoint.d; "
            "COPY docker-entrypoint.sh and 10-listen-on-ipv6-by-default.sh, 15-local-resolvers.envsh, "
            "20-envsubst-on-templates.sh, 30-tune-worker-processes.sh; ENTRYPOINT /docker-entrypoint.sh; STOPSIGNAL SIGQUIT; "
            "CMD nginx -g 'daemon off;'; apk add curl ca-certificates",
            "nginxinc/docker-nginx:stable/alpine-slim/docker-entrypoint.sh@b430becb8f0f6b8d69e68cc73a82ea2873c38639 "
            "(the script's text, read at the 1.26.3 revision)",
        ),
        writes=("/var/cache/nginx", "/var/run"),
        root_caps=("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"),
        reads=(FileRead("nginx -c <path>", "nginx.conf syntax", reader="root"),
               FileRead("ssl_certificate / ssl_certificate_key", "PEM; the key read by the root master", reader="root")),
        memory_floor_mb=32,
        memory_source="derived: no documented floor; the master and auto worker processes with the default buffers stay well under 32 MiB",
        local_image="xqfc-e2e/nginx:local",
        unverified=("the text of docker-entrypoint.sh at 1.28.0 (the image history shows the same file names; the "
                    "script was read at the 1.26.3 revision, the newest nginxinc/docker-nginx snapshot)",
                    "the pid path of the package's nginx.conf (the stack passes its own config and pid directive)"),
        notes=("Temp files go to /var/cache/nginx/*_temp (compiled in); the stack mounts a tmpfs there. "
               "Debian trixie packages nginx 1.26: the local image runs it with upstream's layout."),
    ),
    "prometheus_image": ImageContract(
        upstream="prom/prometheus:v3.5.0",
        describes="3.5.0",
        user="nobody", uid=65534, gid=65534,
        entrypoint="/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus, as nobody",
        starts_as_root=False,
        image_user="nobody", image_entrypoint=("/bin/prometheus",),
        image_cmd=("--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"),
        config_paths=("/etc/prometheus/prometheus.yml",),
        data_paths=("/prometheus",),
        owned_paths=("/etc/prometheus", "/prometheus"),
        file_env=("*_file fields inside prometheus.yml (password_file, bearer_token_file, ...)",),
        health_binaries=("prometheus", "promtool", *_BUSYBOX),
        sources=("prometheus/prometheus:Dockerfile@v3.5.0 (8be3a9560fbdd18a94dedec4b747c35178177202; chown -R "
                 "nobody:nobody /etc/prometheus /prometheus && chmod g+w /prometheus; USER nobody; VOLUME /prometheus; "
                 "WORKDIR /prometheus)",
                 "prometheus/prometheus:docs/storage.md@v3.5.0 (samples grouped into two-hour blocks; the current block "
                 "kept in memory, secured by the WAL; wal and chunks_head peak every 2 hours)"),
        writes=("/prometheus",),
        reads=(FileRead("--config.file", "prometheus.yml (YAML), rule files it names"),),
        memory_floor_mb=256,
        memory_source=("derived: no documented floor; the head block holds ~2 h of samples of every active series "
                       "(prometheus/prometheus docs/storage.md@v3.5.0), a few thousand series here"),
        local_image="xqfc-e2e/prometheus:local",
        notes="Debian trixie packages Prometheus 2.53: a v3-only config feature fails locally.",
    ),
    "alertmanager_image": ImageContract(
        upstream="prom/alertmanager:v0.28.1",
        describes="0.28.1",
        user="nobody", uid=65534, gid=65534,
        entrypoint="/bin/alertmanager --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/alertmanager, as nobody",
        starts_as_root=False,
        image_user="nobody", image_entrypoint=("/bin/alertmanager",),
        image_cmd=("--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"),
        config_paths=("/etc/alertmanager/alertmanager.yml",),
        data_paths=("/alertmanager",),
        owned_paths=("/etc/alertmanager", "/alertmanager"),
        file_env=("*_file fields inside alertmanager.yml (smtp_auth_password_file, api_secret_file, ...)",),
        health_binaries=("alertmanager", "amtool", *_BUSYBOX),
        sources=("prometheus/alertmanager:Dockerfile@v0.28.1 (chown -R nobody:nobody etc/alertmanager /alertmanager; "
                 "USER nobody; VOLUME /alertmanager; WORKDIR /alertmanager)",),
        writes=("/alertmanager",),
        reads=(FileRead("--config.file", "alertmanager.yml (YAML); SMTP and WeCom secrets inside"),),
        memory_floor_mb=32,
        memory_source="derived: no documented floor; a Go binary holding silences and the notification log",
        local_image="xqfc-e2e/alertmanager:local",
    ),
    "grafana_image": ImageContract(
        upstream="grafana/grafana:12.1.1",
        describes="main@78515af",
        user="grafana", uid=472, gid=0,
        entrypoint=("/run.sh: GF_<X>__FILE variables become GF_<X> from the file (both set is an error), mkdir "
                    "GF_PATHS_PLUGINS if missing, then exec `grafana server --homepath=/usr/share/grafana "
                    "--config=/etc/grafana/grafana.ini --packaging=docker` with the GF_PATHS_* paths; as uid 472"),
        starts_as_root=False,
        image_user="472", image_entrypoint=("/run.sh",), image_cmd=(),
        config_paths=("/etc/grafana/grafana.ini", "/etc/grafana/provisioning"),
        data_paths=("/var/lib/grafana", "/var/lib/grafana/plugins", "/var/log/grafana"),
        owned_paths=("/var/lib/grafana", "/var/lib/grafana/plugins", "/var/log/grafana", "/etc/grafana/provisioning"),
        file_env=("GF_*__FILE (any setting, e.g. GF_SECURITY_ADMIN_PASSWORD__FILE)",),
        health_binaries=("curl", *_BUSYBOX),
        sources=("grafana/grafana:packaging/docker/run.sh@07754534fbafa7e7e18e7272e552c166f1afae28",
                 "grafana/grafana:Dockerfile@78515af65f036f536c4ab2e6fdb5484552f99f1f (BASE_IMAGE alpine:3.21; apk add "
                 "ca-certificates bash curl tzdata musl-utils; ARG GF_UID=472, GF_GID=0; GF_PATHS_* ENV; data, logs, "
                 "plugins, provisioning chown grafana:0 and chmod 777; no VOLUME; USER \"$GF_UID\"; ENTRYPOINT /run.sh)",
                 "grafana/grafana:conf/defaults.ini ([log] mode = console file: the file logger writes GF_PATHS_LOGS)",
                 "grafana.com/docs/grafana/v10.1/setup-grafana/installation and v13.2 (minimum recommended memory)"),
        writes=("/var/lib/grafana", "/var/log/grafana"),
        # defaults.ini [log] mode = console file: the file logger writes GF_PATHS_LOGS unless console only.
        write_opt_outs=(("/var/log/grafana", "GF_LOG_MODE=console"),),
        reads=(FileRead("GF_*__FILE", "the value, read at start by /run.sh"),
               FileRead("/etc/grafana/provisioning", "provisioning YAML (datasources, dashboards)")),
        memory_floor_mb=512,
        memory_source=("grafana.com/docs/grafana/v10.1/setup-grafana/installation and .../v13.2/...: \"Minimum recommended "
                       "memory: 512 MB\" (the v9.2 page said 255 MB; the stacks run 12.1, between the two read)"),
        memory_describes=("10.1", "13.2"),
        local_image="xqfc-e2e/grafana:local", stand_in=True,
        unread_pins=("12.1.1",),
        unverified=("the Dockerfile and run.sh read are 2025 main revisions (Go 1.24.2), not the 12.1.1 tag the stacks pin: "
                    "grafana/grafana is too large to fetch and the stored index holds neither file at v12.1.1 "
                    "(commit df5de8219b41, re-checked 2026-12-05)",),
    ),
    "node_exporter_image": ImageContract(
        upstream="prom/node-exporter:v1.9.1",
        describes="1.9.1",
        user="nobody", uid=65534, gid=65534,
        entrypoint="/bin/node_exporter, as nobody",
        starts_as_root=False,
        image_user="nobody", image_entrypoint=("/bin/node_exporter",), image_cmd=(),
        config_paths=(), data_paths=(), owned_paths=(),
        file_env=("--web.config.file",),
        health_binaries=("node_exporter", *_BUSYBOX),
        sources=("prometheus/node_exporter:Dockerfile@v1.9.1 (busybox base, USER nobody, ENTRYPOINT /bin/node_exporter)",
                 "prometheus/node_exporter:README.md@v1.9.1, Docker: \"designed to monitor the host system\"; "
                 "--net=host --pid=host -v /:/host:ro,rslave and --path.rootfs=/host"),
        reads=(FileRead("--collector.textfile.directory", "*.prom files, Prometheus text format"),),
        memory_floor_mb=16,
        memory_source="derived: no documented floor; a Go binary reading /proc and /sys per scrape",
        host_access=HostAccess(
            pid_host=True, network_host=True, mounts=(("/", "/host"),),
            declined=(),
        ),
        local_image="xqfc-e2e/node-exporter:local",
    ),
    "cadvisor_image": ImageContract(
        upstream="gcr.io/cadvisor/cadvisor:v0.52.1",
        describes="0.52.1",
        user="root", uid=0, gid=0,
        entrypoint="/usr/bin/cadvisor -logtostderr as root; HEALTHCHECK wget --quiet --tries=1 --spider http://localhost:8080/healthz",
        starts_as_root=False,
        image_user="", image_entrypoint=("/usr/bin/cadvisor", "-logtostderr"), image_cmd=(),
        config_paths=(), data_paths=(), owned_paths=(),
        file_env=(),
        health_binaries=("cadvisor", *_BUSYBOX),
        sources=("google/cadvisor:deploy/Dockerfile@v0.52.1 (alpine 3.18; ENV CADVISOR_HEALTHCHECK_URL; HEALTHCHECK; no USER)",
                 "google/cadvisor:docs/running.md@v0.52.1 (/:/rootfs, /var/run, /sys, /var/lib/docker, /dev/disk read-only; "
                 "--privileged and --pid=host only for process metrics; --device=/dev/kmsg in the non-privileged example)",
                 "google/cadvisor#3790 and #3793 (API 1.41 client refused by Engine 29), #3643 (containerd image store)"),
        memory_floor_mb=64,
        memory_source="derived: no documented floor; per-container stats of a few dozen containers kept in memory (housekeeping)",
        host_access=HostAccess(
            mounts=(("/", "/rootfs"), ("/var/run", "/var/run"), ("/sys", "/sys"), ("{docker_root}", "/var/lib/docker"),
                    ("/dev/disk", "/dev/disk")),
            declined=("--privileged and --pid=host: only for process metrics, which the stack does not collect",
                      "--device=/dev/kmsg: OOM events only (container_oom_events_total); no rule or panel uses them"),
        ),
        engine=EngineSupport(
            below="29", image_stores=("overlay2",),
            why=("its Docker client speaks API 1.41, which Engine 29.0 refuses (google/cadvisor#3790, #3793); it finds a "
                 "container's layers only in the overlay2 layerdb, not the containerd image store Engine 29 defaults to "
                 "(google/cadvisor#3643, fixed in v0.54.0)"),
        ),
        local_image="xqfc-e2e/cadvisor:local", stand_in=True,
        notes="Debian packages no cadvisor (bookworm or trixie): the local image is a stand-in.",
    ),
    "postgres_exporter_image": ImageContract(
        upstream="prometheuscommunity/postgres-exporter:v0.17.1",
        describes="0.17.1",
        user="nobody", uid=65534, gid=65534,
        entrypoint="/bin/postgres_exporter, as nobody",
        starts_as_root=False,
        image_user="nobody", image_entrypoint=("/bin/postgres_exporter",), image_cmd=(),
        config_paths=(), data_paths=(), owned_paths=(),
        file_env=("DATA_SOURCE_USER_FILE", "DATA_SOURCE_PASS_FILE", "DATA_SOURCE_URI_FILE"),
        health_binaries=("postgres_exporter", *_BUSYBOX),
        sources=("prometheus-community/postgres_exporter:Dockerfile@v0.17.1",
                 "prometheus-community/postgres_exporter:cmd/postgres_exporter/datasource.go@v0.17.1 (lines 120-152)"),
        reads=(FileRead("DATA_SOURCE_PASS_FILE", "the password, trailing whitespace trimmed"),),
        memory_floor_mb=16,
        memory_source="derived: no documented floor; one connection and the default metric set",
        local_image="xqfc-e2e/postgres-exporter:local",
    ),
    "redis_exporter_image": ImageContract(
        upstream="oliver006/redis_exporter:v1.75.0",
        describes="1.75.0",
        user="59000", uid=59000, gid=59000,
        entrypoint="/redis_exporter as 59000:59000 (FROM scratch: no passwd entry, no shell)",
        starts_as_root=False,
        image_user="59000:59000", image_entrypoint=("/redis_exporter",), image_cmd=(),
        config_paths=(), data_paths=(), owned_paths=(),
        file_env=("--redis.password-file / REDIS_PASSWORD_FILE (JSON: address -> password)",),
        health_binaries=(),
        sources=("oliver006/redis_exporter:Dockerfile@v1.75.0 (9edec39c3a9a88148eebafb835629d07e0a647b8; scratch-release "
                 "and alpine targets, USER 59000:59000)",
                 "oliver006/redis_exporter:.github/workflows/release.yml@v1.75.0 (the docker/metadata-action tags, i.e. the "
                 "plain v1.75.0, are built with target: scratch-release; only the -alpine tags use target: alpine)",
                 "oliver006/redis_exporter:main.go@v1.75.0 line 64"),
        reads=(FileRead("--redis.password-file", "JSON object: redis address -> password"),),
        memory_floor_mb=16,
        memory_source="derived: no documented floor; one connection per scrape",
        local_image="xqfc-e2e/redis-exporter:local",
    ),
    "nginx_exporter_image": ImageContract(
        upstream="nginx/nginx-prometheus-exporter:1.4.2",
        describes="1.4.2",
        user="1001", uid=1001, gid=1001,
        entrypoint="/usr/bin/nginx-prometheus-exporter as 1001:1001 (FROM scratch)",
        starts_as_root=False,
        image_user="1001:1001", image_entrypoint=("/usr/bin/nginx-prometheus-exporter",), image_cmd=(),
        config_paths=(), data_paths=(), owned_paths=(),
        file_env=("--web.config.file",),
        health_binaries=(),
        sources=("nginx/nginx-prometheus-exporter:build/Dockerfile@v1.4.2",),
        memory_floor_mb=8,
        memory_source="derived: no documented floor; reads one stub_status page per scrape",
        local_image="xqfc-e2e/nginx-exporter:local",
        notes="The stack overrides the user to 65534:65534 (monitoring.py); harmless, the binary needs no files.",
    ),
    "blackbox_exporter_image": ImageContract(
        upstream="prom/blackbox-exporter:v0.27.0",
        describes="0.27.0",
        user="root", uid=0, gid=0,
        entrypoint="/bin/blackbox_exporter --config.file=/etc/blackbox_exporter/config.yml; no USER (root)",
        starts_as_root=False,
        image_user="", image_entrypoint=("/bin/blackbox_exporter",),
        image_cmd=("--config.file=/etc/blackbox_exporter/config.yml",),
        config_paths=("/etc/blackbox_exporter/config.yml",), data_paths=(), owned_paths=(),
        file_env=("*_file fields of http_client_config in the config",),
        health_binaries=("blackbox_exporter", *_BUSYBOX),
        sources=("prometheus/blackbox_exporter:Dockerfile@v0.27.0 (no USER; older tags: adduser -S -u 6170 blackbox_exporter)",),
        reads=(FileRead("--config.file", "blackbox.yml (YAML modules)"),),
        memory_floor_mb=16,
        memory_source="derived: no documented floor; one probe per scrape",
        local_image="xqfc-e2e/blackbox-exporter:local",
        notes="The stack overrides the user to 65534:65534 and the config path to /etc/blackbox/blackbox.yml.",
    ),
    "dingtalk_bridge_image": ImageContract(
        upstream="timonwong/prometheus-webhook-dingtalk:v2.1.0",
        describes="2.1.0",
        user="nobody", uid=65534, gid=65534,
        entrypoint="/bin/prometheus-webhook-dingtalk --config.file=/etc/prometheus-webhook-dingtalk/config.yml, as nobody; HTTP :8060",
        starts_as_root=False,
        image_user="nobody", image_entrypoint=("/bin/prometheus-webhook-dingtalk",),
        image_cmd=("--config.file=/etc/prometheus-webhook-dingtalk/config.yml",),
        config_paths=("/etc/prometheus-webhook-dingtalk/config.yml",),
        data_paths=("/prometheus-webhook-dingtalk",),
        owned_paths=("/etc/prometheus-webhook-dingtalk", "/prometheus-webhook-dingtalk"),
        file_env=(),
        health_binaries=(),
        sources=("timonwong/prometheus-webhook-dingtalk:Dockerfile@v2.1.0 (distroless static:nonroot; chown -R nobody:nobody "
                 "/etc/prometheus-webhook-dingtalk /prometheus-webhook-dingtalk; VOLUME, WORKDIR /prometheus-webhook-dingtalk)",),
        reads=(FileRead("--config.file", "config.yml (YAML); the robot token and secret inside"),),
        memory_floor_mb=16,
        memory_source="derived: no documented floor; forwards one webhook per alert group",
        local_image="xqfc-e2e/dingtalk-bridge:local", stand_in=True,
        notes=("distroless: no shell, no wget. The VOLUME is the WORKDIR; the bridge keeps no state, so `writes` "
               "is empty and the stack mounts nothing there."),
    ),
    "loki_image": ImageContract(
        upstream="grafana/loki:3.5.3",
        describes="3.5.3",
        user="loki", uid=10001, gid=10001,
        entrypoint="/usr/bin/loki -config.file=/etc/loki/local-config.yaml, as 10001",
        starts_as_root=False,
        image_user="10001", image_entrypoint=("/usr/bin/loki",), image_cmd=("-config.file=/etc/loki/local-config.yaml",),
        config_paths=("/etc/loki/local-config.yaml",),
        data_paths=("/loki", "/loki/rules", "/loki/rules-temp"),
        owned_paths=("/etc/loki", "/loki"),
        file_env=("-config.expand-env (${VAR} in the config; no *_FILE variables)",),
        health_binaries=("loki", *_BUSYBOX),
        sources=("grafana/loki:cmd/loki/Dockerfile@v3.5.3 (af52a690ce73867bbf9cecbf2d279c578aa99d2d) "
                 "(distroless static:debug; addgroup -g 10001 -S loki; adduser -u 10001 -S loki -G loki; "
                 "mkdir -p /loki/rules /loki/rules-temp; chown -R loki:loki /etc/loki /loki; ln -s /busybox/sh /bin/sh; "
                 "USER 10001; ENTRYPOINT /usr/bin/loki; CMD -config.file=/etc/loki/local-config.yaml)",),
        writes=("/loki",),
        reads=(FileRead("-config.file", "Loki YAML config"),),
        memory_floor_mb=128,
        memory_source=("derived: no documented floor for the single binary; ingester chunks of a handful of streams "
                       "plus the query cache (embedded_cache default 100 MB is capped by the stack's config)"),
        local_image="xqfc-e2e/loki:local", stand_in=True,
    ),
    "promtail_image": ImageContract(
        upstream="grafana/promtail:3.5.3",
        describes="3.5.3",
        user="root", uid=0, gid=0,
        entrypoint="/usr/bin/promtail -config.file=/etc/promtail/config.yml; no USER (root); Ubuntu base",
        starts_as_root=False,
        image_user="", image_entrypoint=("/usr/bin/promtail",), image_cmd=("-config.file=/etc/promtail/config.yml",),
        config_paths=("/etc/promtail/config.yml",), data_paths=(), owned_paths=(),
        file_env=("-config.expand-env",),
        health_binaries=("promtail", "sh"),
        sources=("grafana/loki:clients/cmd/promtail/Dockerfile@v3.5.3 (af52a690ce73867bbf9cecbf2d279c578aa99d2d) "
                 "(public.ecr.aws/ubuntu/ubuntu:noble + libsystemd-dev tzdata ca-certificates: no wget or curl; no USER; "
                 "ENTRYPOINT /usr/bin/promtail; CMD -config.file=/etc/promtail/config.yml)",),
        writes=("/promtail",),
        reads=(FileRead("-config.file", "Promtail YAML config (positions file path inside)"),),
        memory_floor_mb=32,
        memory_source="derived: no documented floor; tails the JSON logs of a few dozen containers",
        host_access=HostAccess(mounts=(("/var/run/docker.sock", "/var/run/docker.sock"),)),
        engine=EngineSupport(why="reads logs through the Docker API (docker_sd_configs); its client's API version was not read"),
        local_image="xqfc-e2e/promtail:local", stand_in=True,
    ),
}

"""How long each container may take to stop, within what a host shutdown allows.

Rules relied on, with their sources:
- `docker stop` and a daemon shutdown send the container's stop signal, wait its StopTimeout
  (Docker's default 10 s when none is set), then SIGKILL. On shutdown the daemon stops every
  running container with its own StopTimeout and waits at most the longest one plus a 5 s
  grace (moby daemon/daemon.go: `Daemon.ShutdownTimeout`, `shutdownContainer`).
- docker.service (docker-ce and Debian's docker.io) sets no TimeoutStopSec, so systemd's
  DefaultTimeoutStopSec=90s applies (systemd-system.conf(5)); past it a reboot SIGKILLs
  dockerd and every container with it. So no container may take longer than 90 - 5 s.
- Redis on SIGTERM fsyncs the AOF and then performs a blocking RDB save when save points are
  configured (https://redis.io/docs/reference/signals, "SIGTERM and SIGINT"); our redis.conf
  has both (render/redis.py). The save writes at most the dataset, bounded by maxmemory.
- Both clouds' disk types we allow write at least ~100 MB/s (Tencent CBS "性能指标",
  cloud.tencent.com/document/product/362/2353; Alibaba "块存储性能", help.aliyun.com/document_detail/25382).
"""
from __future__ import annotations

import math

DOCKER_DEFAULT_S = 10
DOCKERD_GRACE_S = 5
SYSTEMD_STOP_S = 90
CEILING_S = SYSTEMD_STOP_S - DOCKERD_GRACE_S

# PostgreSQL's fast shutdown (SIGINT) ends with a checkpoint of everything dirty in shared
# buffers; a minute covers it on the disks above without nearing the ceiling.
POSTGRES_S = 60
# The release drains nginx first, then gives uvicorn this long to finish in-flight requests;
# a reboot gives the app the same (render/release.py STOP_TIMEOUT, `docker run --stop-timeout`).
APP_S = 30
# nginx's graceful quit (SIGQUIT) waits for open requests; longer than the app's, so a request
# the app is still answering is not cut at the edge.
NGINX_S = 35

_DISK_MB_PER_S = 100
_REDIS_BASE_S = 10


def redis_stop_timeout(maxmemory_mb: int) -> int:
    """Time for Redis's final save of a dataset as large as maxmemory, capped at the ceiling.

    Past the cap (maxmemory above ~7.5 GB) a reboot may cut the RDB save short; nothing is lost
    then either, because the AOF (appendfsync everysec) was fsynced first and Redis writes the
    RDB to a temporary file it renames only when complete.
    """
    return min(CEILING_S, _REDIS_BASE_S + math.ceil(maxmemory_mb / _DISK_MB_PER_S))

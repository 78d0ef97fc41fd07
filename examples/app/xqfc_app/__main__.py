"""`python3 -m xqfc_app`: the image's default command. Serves on $HOST:$PORT (0.0.0.0:8000,
the platform's appPort default) with one uvicorn process: the metrics live in its memory."""
from __future__ import annotations

import inspect
import logging
import sys

import uvicorn

from .config import Config, ConfigError, broken
from .main import create_app


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if "start" in broken():
        # The crash-at-start drill (build arg BROKEN=start): the release must report this line.
        print("xqfc_app: deliberately broken at start (BROKEN=start)", file=sys.stderr)
        return 70  # EX_SOFTWARE
    try:
        cfg = Config.from_env()
    except ConfigError as exc:
        print(f"xqfc_app: {exc}", file=sys.stderr)
        return 78  # EX_CONFIG
    logging.getLogger("xqfc_app").info(
        "starting version %s (%s) on %s:%d, public url %s", cfg.version, cfg.app_env, cfg.host, cfg.port,
        cfg.public_url or "-")
    options = dict(
        host=cfg.host, port=cfg.port, log_level="info", access_log=True, lifespan="on",
        # nginx is the only client besides the health check and Prometheus.
        proxy_headers=True, forwarded_allow_ips="*",
        server_header=False, timeout_keep_alive=75,
        # `docker stop -t 30` (STOP_TIMEOUT): finish in-flight requests well within it.
        timeout_graceful_shutdown=20,
    )
    # uvicorn 0.17 (Debian 12) lacks some options that 0.32 (Debian 13) has.
    known = inspect.signature(uvicorn.Config.__init__).parameters
    app = create_app(cfg)
    try:
        uvicorn.run(app, **{k: v for k, v in options.items() if k in known})
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

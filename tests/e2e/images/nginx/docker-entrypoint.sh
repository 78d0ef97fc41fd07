#!/bin/sh
# Our own entrypoint with the behaviour of nginxinc/docker-nginx's docker-entrypoint.sh: for
# `nginx`/`nginx-debug`, run (*.sh) or source (*.envsh) the executable files of
# /docker-entrypoint.d in order, then exec the command. This image ships that folder empty
# (upstream ships 10-listen-on-ipv6, 15-local-resolvers, 20-envsubst-on-templates, 30-tune-worker-processes).
set -e
log() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$@"; }
if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | grep -q .; then
        log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
        # shellcheck disable=SC1090 # the scripts are the image user's
        for f in $(find /docker-entrypoint.d/ -follow -type f -print | sort -V); do
            case "$f" in
                *.envsh) if [ -x "$f" ]; then log "$0: Sourcing $f"; . "$f"; else log "$0: Ignoring $f, not executable"; fi ;;
                *.sh) if [ -x "$f" ]; then log "$0: Launching $f"; "$f"; else log "$0: Ignoring $f, not executable"; fi ;;
                *) log "$0: Ignoring $f" ;;
            esac
        done
        log "$0: Configuration complete; ready for start up"
    else
        log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi
exec "$@"

#!/bin/sh
# Our own /run.sh with upstream's (grafana/grafana packaging/docker/run.sh) contract: every
# GF_<X>__FILE becomes GF_<X> with the file's content (both set is an error), the plugins dir is
# created if missing, then `grafana server` runs with the GF_PATHS_* paths.
set -e
for name in $(env | sed -n 's/^\(GF_[^=]*\)__FILE=.\{1,\}$/\1/p'); do
    value="" file=""
    eval "value=\${$name:-}"
    if [ -n "$value" ]; then
        echo >&2 "ERROR: Both $name and ${name}__FILE are set (but are exclusive)"
        exit 1
    fi
    eval "file=\${${name}__FILE}"
    echo "Getting secret $name from $file"
    export "$name=$(cat "$file")"
    unset "${name}__FILE"
done
[ -d "$GF_PATHS_PLUGINS" ] || mkdir "$GF_PATHS_PLUGINS"
export HOME="$GF_PATHS_HOME"
exec grafana server --homepath="$GF_PATHS_HOME" --config="$GF_PATHS_CONFIG" --packaging=docker "$@" \
    cfg:default.log.mode=console cfg:default.paths.data="$GF_PATHS_DATA" cfg:default.paths.logs="$GF_PATHS_LOGS" \
    cfg:default.paths.plugins="$GF_PATHS_PLUGINS" cfg:default.paths.provisioning="$GF_PATHS_PROVISIONING"

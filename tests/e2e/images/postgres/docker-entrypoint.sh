#!/usr/bin/env bash
# Our own entrypoint for the local postgres image, with the behaviour of docker-library's
# postgres docker-entrypoint.sh (17/alpine3.22) that the stack relies on:
#   - POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_DB / POSTGRES_INITDB_ARGS, each also as *_FILE
#     (read here, as root, before dropping privileges; the *_FILE variable is then unset)
#   - started as root: create PGDATA (0700) and /var/run/postgresql (3775), chown what is not
#     the postgres user's, then re-exec this script as postgres (gosu)
#   - empty PGDATA: initdb, `host all all all <password_encryption>` in pg_hba.conf, a socket-only
#     temporary server to create POSTGRES_DB and run /docker-entrypoint-initdb.d/*, then stop
#   - finally exec the command (postgres ...).
# Not implemented: nss_wrapper for uids without a passwd entry, POSTGRES_INITDB_WALDIR,
# the 18+ data layout checks.
set -Eeo pipefail

file_env() { # VAR [DEFAULT]
    local var=$1 file_var="${1}_FILE" def=${2:-} val
    if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
        printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
        exit 1
    fi
    val=$def
    if [[ -n ${!var:-} ]]; then
        val=${!var}
    elif [[ -n ${!file_var:-} ]]; then
        val=$(<"${!file_var}")
    fi
    export "$var"="$val"
    unset "$file_var"
}

want_help() {
    local a
    for a; do
        case $a in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
    done
    return 1
}

setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
    DATABASE_ALREADY_EXISTS=
    [[ -s $PGDATA/PG_VERSION ]] && DATABASE_ALREADY_EXISTS=true
    return 0
}

create_dirs() {
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA" || :
    mkdir -p /var/run/postgresql || :
    chmod 03775 /var/run/postgresql || :
    if [[ $(id -u) == 0 ]]; then
        find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
        find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    fi
}

sql() { # psql as POSTGRES_USER over the socket
    local cmd=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    [[ -n $POSTGRES_DB ]] && cmd+=(--dbname "$POSTGRES_DB")
    PGHOST='' PGHOSTADDR='' "${cmd[@]}" "$@"
}

init_database() { # "$@": the postgres command line
    if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
        echo >&2 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE).'
        exit 1
    fi
    ls /docker-entrypoint-initdb.d/ >/dev/null
    # --pwfile refuses an empty file, hence the newline (as upstream).
    eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

    local args=("$@")
    [[ ${args[0]} == postgres ]] && args=("${args[@]:1}")
    local auth
    auth=$(postgres -C password_encryption "${args[@]}")
    : "${POSTGRES_HOST_AUTH_METHOD:=$auth}"
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

    export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    NOTIFY_SOCKET='' PGUSER="${PGUSER:-$POSTGRES_USER}" \
        pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${args[@]}" -c listen_addresses='' -p "${PGPORT:-5432}")" -w start

    local exists db=$POSTGRES_DB
    exists=$(POSTGRES_DB='' sql --dbname postgres --set db="$db" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
    if [[ -z ${exists// /} ]]; then
        POSTGRES_DB='' sql --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";'
    fi
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        [[ -e $f ]] || continue
        # shellcheck disable=SC1090 # init scripts are the user's
        case $f in
            *.sh) if [[ -x $f ]]; then "$f"; else . "$f"; fi ;;
            *.sql) sql -f "$f" ;;
            *.sql.gz) gunzip -c "$f" | sql ;;
            *.sql.zst) zstd -dc "$f" | sql ;;
            *) echo "$0: ignoring $f" ;;
        esac
    done
    PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    echo 'PostgreSQL init process complete; ready for start up.'
}

main() {
    [[ ${1:0:1} == - ]] && set -- postgres "$@"
    if [[ $1 == postgres ]] && ! want_help "$@"; then
        setup_env
        create_dirs
        if [[ $(id -u) == 0 ]]; then
            exec gosu postgres "${BASH_SOURCE[0]}" "$@"
        fi
        if [[ -z $DATABASE_ALREADY_EXISTS ]]; then
            init_database "$@"
        else
            echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
        fi
    fi
    exec "$@"
}

main "$@"

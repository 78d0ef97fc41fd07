#!/bin/sh
# Our own entrypoint with the behaviour of docker-library/redis's docker-entrypoint.sh:
# a first argument that is a flag or a *.conf file means redis-server; as root, chown what in the
# working dir (/data) is not redis's and re-exec as redis (setpriv, as upstream after 7.4.6; the
# 7.4.6 we pin uses gosu: the same uid/gid switch);
# umask 0077 when the umask is the default 0022.
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --clear-groups -- "$0" "$@"
fi
if [ "$(umask)" = '0022' ]; then
    umask 0077
fi
exec "$@"

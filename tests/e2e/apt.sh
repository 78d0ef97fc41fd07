#!/usr/bin/env bash
# Sourced by the e2e scripts: install the Debian packages that are missing, quietly.
#
# policy-rc.d keeps the packages' own daemons (sshd on 22, the system dockerd) from starting:
# the e2e runs its own on private sockets and ports.

apt_install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    printf 'apt: installing %s\n' "${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # An apt index older than a day may point at files the mirror no longer has.
    if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1) ]]; then
        apt-get update -qq >&2
    fi
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    local rc=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || rc=$?
    rm -f /usr/sbin/policy-rc.d
    return "$rc"
}

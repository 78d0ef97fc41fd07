# Sourced by ../build.sh: the base image is a Debian minbase root filesystem made by mmdebstrap
# and imported with `docker import` (no registry needed). Changing this file rebuilds the base and,
# through the base image id in their hash, every service image.
# shellcheck shell=bash disable=SC2034,SC2016 # read by build.sh; hooks expand $1 in mmdebstrap
BASE_SUITES=(trixie bookworm)   # first one the mirror serves wins (trixie has postgresql-17)
BASE_INCLUDE=(ca-certificates)
BASE_MMDEBSTRAP_OPTS=(
    --variant=minbase
    --skip=cleanup/apt/lists
    --components=main
    --aptopt='APT::Install-Recommends "false"'
    --aptopt='APT::Install-Suggests "false"'
    --aptopt='Acquire::Languages "none"'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/lintian/*'
    # The package lists stay in the image: service images install from the same snapshot
    # without an `apt-get update` of their own (xqfc-apt-install updates only on a miss).
    --customize-hook='rm -f "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/log/apt/* "$1"/var/log/dpkg.log'
    --customize-hook='install -m 0755 /dev/stdin "$1"/usr/local/sbin/xqfc-apt-install <<"SH"
#!/bin/sh
# apt-get install without recommends; refresh the lists once only if a package is not found.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
rm -rf /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/apt/* /var/log/dpkg.log
SH'
)
BASE_CHANGES=(
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    'ENV LANG=C.UTF-8'
    'CMD ["bash"]'
)

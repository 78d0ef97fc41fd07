#!/bin/sh
# STAND-IN for grafana/grafana:12.1.1, NOT the real program (Debian does not package it).
# It answers the health/readiness endpoints the stack probes, on :3000, and nothing else.
echo "xqfc-e2e stand-in for grafana/grafana:12.1.1 (args: $*) listening on :${XQFC_STAND_IN_PORT:-3000}" >&2
exec busybox httpd -f -p "${XQFC_STAND_IN_PORT:-3000}" -h /usr/share/xqfc-stand-in

#!/bin/sh
# STAND-IN for grafana/promtail:3.5.3, NOT the real program (Debian does not package it).
# It answers the health/readiness endpoints the stack probes, on :9080, and nothing else.
echo "xqfc-e2e stand-in for grafana/promtail:3.5.3 (args: $*) listening on :${XQFC_STAND_IN_PORT:-9080}" >&2
exec busybox httpd -f -p "${XQFC_STAND_IN_PORT:-9080}" -h /usr/share/xqfc-stand-in

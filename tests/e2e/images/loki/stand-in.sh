#!/bin/sh
# STAND-IN for grafana/loki:3.5.3, NOT the real program (Debian does not package it).
# It answers the health/readiness endpoints the stack probes, on :3100, and nothing else.
echo "xqfc-e2e stand-in for grafana/loki:3.5.3 (args: $*) listening on :${XQFC_STAND_IN_PORT:-3100}" >&2
exec busybox httpd -f -p "${XQFC_STAND_IN_PORT:-3100}" -h /usr/share/xqfc-stand-in

#!/bin/sh
# STAND-IN for gcr.io/cadvisor/cadvisor:v0.52.1, NOT the real program (Debian does not package it).
# It answers the health/readiness endpoints the stack probes, on :8080, and nothing else.
echo "xqfc-e2e stand-in for gcr.io/cadvisor/cadvisor:v0.52.1 (args: $*) listening on :${XQFC_STAND_IN_PORT:-8080}" >&2
exec busybox httpd -f -p "${XQFC_STAND_IN_PORT:-8080}" -h /usr/share/xqfc-stand-in

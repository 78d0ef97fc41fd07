#!/bin/sh
# STAND-IN for timonwong/prometheus-webhook-dingtalk:v2.1.0, NOT the real program (Debian does not package it).
# It answers the health/readiness endpoints the stack probes, on :8060, and nothing else.
echo "xqfc-e2e stand-in for timonwong/prometheus-webhook-dingtalk:v2.1.0 (args: $*) listening on :${XQFC_STAND_IN_PORT:-8060}" >&2
exec busybox httpd -f -p "${XQFC_STAND_IN_PORT:-8060}" -h /usr/share/xqfc-stand-in

#!/usr/bin/env bash
# Disaster recovery: rebuild a lost stack from nothing, then restore the newest backup.
#
#   scripts/dr-restore.sh STACK [TIMESTAMP]      TIMESTAMP: YYYYmmddTHHMMSSZ, default latest
#
# Assumes: Pulumi CLI logged in to the state backend; the stack's config (and its secrets
# provider) intact; the backup bucket survived (it is retained/protected) and the stack points
# at it; SSH access to the new VM with sudo. See docs/backups.md, "Disaster recovery".
# Environment: SSH_USER (default deploy, the stack's deployUser; stack output ssh_endpoint shows
# it), HOST_OUTPUT (stack output holding the VM's public IP, default public_ip, see
# components/outputs.py), SKIP_UP=1 to reuse a VM that is already up.
set -euo pipefail

usage() { echo "usage: $0 STACK [TIMESTAMP|latest]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
stack=$1
timestamp=${2:-latest}
if [[ ! $timestamp =~ ^(latest|[0-9]{8}T[0-9]{6}Z)$ ]]; then
  echo "bad timestamp: $timestamp" >&2
  usage
fi
ssh_user=${SSH_USER:-deploy}
host_output=${HOST_OUTPUT:-public_ip}

step() { printf '\n==> %s\n' "$*" >&2; }

command -v pulumi >/dev/null || { echo "pulumi CLI not found" >&2; exit 1; }
started=$(date +%s)

if [ "${SKIP_UP:-0}" != 1 ]; then
  step "pulumi up: stack $stack"
  pulumi up --yes --skip-preview --stack "$stack"
fi

host=$(pulumi stack output --stack "$stack" "$host_output")
[ -n "$host" ] || { echo "stack output $host_output is empty" >&2; exit 1; }
remote=(ssh -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=accept-new "$ssh_user@$host")

# `pulumi up` enables the backup timers; until the restore is done they would dump the new,
# empty database and make it the newest backup. Hold them; they are re-enabled at the end.
step "holding the backup timers"
"${remote[@]}" sudo systemctl stop xqfc-backup-postgres.timer xqfc-restore-drill.timer xqfc-backup-redis.timer

step "waiting for PostgreSQL on $host"
ready=0
for _ in $(seq 1 60); do
  if "${remote[@]}" sudo docker exec xqfc-postgres pg_isready -q; then ready=1; break; fi
  sleep 5
done
[ "$ready" = 1 ] || { echo "PostgreSQL did not become ready" >&2; exit 1; }

# The restore runs on the VM as the same systemd unit configuration as the scheduled backups,
# so bucket, endpoint, credentials and docker exec prefixes are the ones already deployed.
step "restoring backup '$timestamp' (downloads, verifies sha256, then swaps the database in)"
unit="xqfc-restore@${timestamp}.service"
if ! "${remote[@]}" sudo systemctl start "$unit"; then
  "${remote[@]}" sudo journalctl -u "$unit" -n 50 --no-pager >&2 || true
  echo "restore failed" >&2
  exit 1
fi
"${remote[@]}" sudo journalctl -u "$unit" -n 20 --no-pager >&2 || true

step "drill: comparing the restored database with the backup"
if [ "$timestamp" = latest ]; then
  # Live mode: compare a fresh restore of the same backup with the database just restored.
  "${remote[@]}" sudo systemctl set-environment XQFC_BACKUP_DRILL_MODE=live
  drill_ok=1
  "${remote[@]}" sudo systemctl start xqfc-restore-drill.service || drill_ok=0
  "${remote[@]}" sudo systemctl unset-environment XQFC_BACKUP_DRILL_MODE
  [ "$drill_ok" = 1 ] || { echo "the restored database differs from the backup" >&2; exit 1; }
else
  echo "(skipped: the drill compares with the latest backup, you restored $timestamp)" >&2
fi

step "enabling the backup timers"
"${remote[@]}" sudo systemctl enable --now xqfc-backup-postgres.timer xqfc-restore-drill.timer \
  xqfc-backup-redis.timer

step "done in $(( $(date +%s) - started )) s; the app reconnects to the restored database"

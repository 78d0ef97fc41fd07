#!/usr/bin/env bash
# Builds the venv make's targets run in: `scripts/venv.sh VENV` installs requirements.txt,
# `scripts/venv.sh VENV dev` requirements-dev.txt (which includes it).
#
# A VENV that exists (a folder or a link) is installed into in place, as it always was. A missing
# one is linked to a venv under ${XQFC_CACHE:-~/.cache/xqfc}/venv/<key>, keyed by the Python
# version and both requirement files and built there once with every dev requirement: a fresh
# clone (CI clones afresh for every run) on a machine that built it pays nothing.
# XQFC_VENV_CACHE=0 builds VENV itself.
#
# pip does not byte-compile what it installs (--no-compile): the cloud SDKs hold about 5,000
# modules and a plan imports a few hundred; Python compiles those on first import.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$1
want=${2:-runtime}
key=$( { python3 -VV; cat requirements.txt requirements-dev.txt; } | sha256sum | cut -c1-16)
pip_install() { "$1/bin/python" -m pip install -q --disable-pip-version-check --no-compile "${@:2}"; }

# Already holds exactly these requirements (a link to the cache, or a venv built here before).
if [ -f "$venv/.xqfc-key" ] && [ "$(cat "$venv/.xqfc-key")" = "$key" ]; then
  exit 0
fi

if [ ! -e "$venv" ] && [ "${XQFC_VENV_CACHE:-1}" != 0 ]; then
  cached="${XQFC_CACHE:-$HOME/.cache/xqfc}/venv/$key"
  mkdir -p "$(dirname "$cached")"
  # One builder at a time; a venv is not relocatable, so it is built where it stays, and only
  # a finished one carries its key.
  exec 9>"$cached.lock"
  flock 9
  if [ ! -f "$cached/.xqfc-key" ]; then
    rm -rf "$cached"
    python3 -m venv "$cached"
    pip_install "$cached" -r requirements-dev.txt
    echo "$key" >"$cached/.xqfc-key"
  fi
  ln -s "$cached" "$venv"
  exit 0
fi

[ -e "$venv" ] || python3 -m venv "$venv"
if [ "$want" = dev ]; then
  pip_install "$venv" -r requirements-dev.txt
  echo "$key" >"$venv/.xqfc-key"
else
  pip_install "$venv" -r requirements.txt
fi

#!/usr/bin/env bash
# Proves that a toolchain built by build.sh runs a Python Pulumi program with no network:
# local file backend, passphrase secrets, no plugin downloads, no update check.
#
# usage: smoke.sh BIN_DIR [VENV]
#   BIN_DIR  the folder build.sh printed
#   VENV     a virtualenv with the pulumi SDK (and pulumi_random/_command/_docker for the provider
#            checks); default: the repo's .venv
#
# Always checked: `pulumi version`, a stack with an output, a secret and a Python dynamic
# provider resource (engine <-> language host <-> plugin round trip): up, preview
# --expect-no-changes, destroy. For each provider plugin present in BIN_DIR it also checks:
#   random  -> random.RandomPassword; command -> command.local.Command (echo);
#   docker  -> an explicit docker.Provider (host unix:///nonexistent.sock) and nothing else.
# A provider plugin absent from BIN_DIR is reported as SKIP (build.sh does not build them yet).
# Exits non-zero on any failure; removes its temp dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: $0 BIN_DIR [VENV]" >&2; exit 2; }
bin="$(cd "$1" && pwd)"
venv="$(cd "${2:-$here/../../../.venv}" && pwd)"
[[ -x "$bin/pulumi" ]] || { echo "no pulumi in $bin" >&2; exit 2; }
[[ -x "$venv/bin/python" ]] || { echo "no virtualenv at $venv" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/xqfc-smoke.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The toolchain first, then the virtualenv: the language host runs pulumi-language-python-exec
# and pip through `python3` from PATH (it is not told about runtime.options.virtualenv).
export PATH="$bin:$venv/bin:$PATH"
export VIRTUAL_ENV="$venv"
export PULUMI_HOME="$tmp/home"
export PULUMI_CONFIG_PASSPHRASE="xqfc-smoke"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
unset PULUMI_IGNORE_AMBIENT_PLUGINS PULUMI_ACCESS_TOKEN PULUMI_BACKEND_URL || true

say() { printf '[smoke] %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

say "pulumi $(pulumi version) from $(command -v pulumi)"
[[ "$(command -v pulumi-language-python)" == "$bin/pulumi-language-python" ]] ||
  fail "pulumi-language-python not taken from $bin"
mkdir -p "$tmp/state"
cd "$tmp"  # not inside a project: the CLI would read (and validate) its Pulumi.yaml
pulumi login --non-interactive "file://$tmp/state" >&2

providers=()
for p in random command docker; do
  if [[ -x "$bin/pulumi-resource-$p" ]]; then
    providers+=("$p")
  else
    say "SKIP: pulumi-resource-$p is not in $bin"
  fi
done

# new_project DIR NAME: a Pulumi.yaml for the Python runtime using $venv.
new_project() {
  mkdir -p "$1"
  cat >"$1/Pulumi.yaml" <<EOF
name: $2
runtime:
  name: python
  options:
    virtualenv: $venv
EOF
}

# cycle DIR STACK: init, up, preview --expect-no-changes, destroy, rm.
cycle() {
  local dir="$1" stack="$2"
  (
    cd "$dir"
    pulumi stack init --non-interactive "$stack" >&2
    pulumi up --non-interactive --yes --skip-preview --stack "$stack" >&2
    pulumi stack output --stack "$stack" --json >"$dir/outputs.json"
    pulumi preview --non-interactive --expect-no-changes --stack "$stack" >&2
    pulumi destroy --non-interactive --yes --stack "$stack" >&2
    pulumi stack rm --non-interactive --yes --stack "$stack" >&2
  )
}

# --- core: outputs, secrets, a dynamic provider, plus random/command when present ----------------
core="$tmp/core"
new_project "$core" xqfc-smoke
cat >"$core/__main__.py" <<'EOF'
import os

import pulumi
from pulumi import dynamic


class _EchoProvider(dynamic.ResourceProvider):
    def create(self, props):
        return dynamic.CreateResult(id_="echo-" + props["text"], outs={"text": props["text"]})


class Echo(dynamic.Resource):
    text: pulumi.Output[str]

    def __init__(self, name, text, opts=None):
        super().__init__(_EchoProvider(), name, {"text": text}, opts)


providers = os.environ.get("SMOKE_PROVIDERS", "").split()
pulumi.export("greeting", "hello")
pulumi.export("secret", pulumi.Output.secret("s3cr3t"))
pulumi.export("dynamic", Echo("echo", "dyn").text)

if "random" in providers:
    import pulumi_random as random

    pw = random.RandomPassword("pw", length=16, special=False)
    pulumi.export("password_length", pw.result.apply(len))

if "command" in providers:
    from pulumi_command import local

    cmd = local.Command("echo", create="echo xqfc-smoke")
    pulumi.export("stdout", cmd.stdout)
EOF
say "core stack (providers: ${providers[*]:-none})"
SMOKE_PROVIDERS="${providers[*]:-}" cycle "$core" smoke
python3 - "$core/outputs.json" "${providers[*]:-}" <<'EOF' || fail "unexpected stack outputs"
import json, sys

out = json.load(open(sys.argv[1]))
providers = sys.argv[2].split()
assert out["greeting"] == "hello", out
assert out["dynamic"] == "dyn", out
assert out["secret"] == "[secret]", out
if "random" in providers:
    assert out["password_length"] == 16, out
if "command" in providers:
    assert out["stdout"] == "xqfc-smoke", out
print("[smoke] outputs ok:", sorted(out), file=sys.stderr)
EOF

# --- docker: the plugin starts, answers GetPluginInfo and configures lazily ---------------------
if [[ " ${providers[*]:-} " == *" docker "* ]]; then
  dock="$tmp/docker"
  new_project "$dock" xqfc-smoke-docker
  cat >"$dock/__main__.py" <<'EOF'
import pulumi
import pulumi_docker as docker

prov = docker.Provider("nodocker", host="unix:///nonexistent.sock")
pulumi.export("provider_urn", prov.urn)
EOF
  say "docker provider stack"
  cycle "$dock" smoke
fi

say "OK"

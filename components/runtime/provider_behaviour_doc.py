"""docs/provider-behaviour.md, rendered from the provider behaviour table, so the page cannot
drift from the data the graph test holds the program to (tests/test_provider_behaviour.py
compares them).

Regenerate after changing components/runtime/provider_behaviour.py:

    .venv/bin/python -m components.runtime.provider_behaviour_doc > docs/provider-behaviour.md
"""
from __future__ import annotations

from components.runtime import provider_behaviour as pb

HEADER = f"""# What the providers read back, and what a change replaces

Generated from `components/runtime/provider_behaviour.py` by
`.venv/bin/python -m components.runtime.provider_behaviour_doc > docs/provider-behaviour.md`; a test
fails when this page and the table differ. Read from the providers' and the engine's source on {pb.READ_ON}.

## Why it matters

`pulumi refresh` (and `pulumi up` with `refresh: true`, as `deploy.yml` runs it, and
`pulumi preview --refresh`, as `drift.yml` runs it daily) calls each resource's read function and
writes what it returns into the state. The next preview diffs the program against that state: the
bridge's `Provider.Diff` ({pb.BRIDGE} `pkg/tfbridge/provider.go`) runs the Terraform SDK's diff of
state against config and replaces the resource when the diff `RequiresNew`, i.e. when a `ForceNew`
attribute changed. Sets compare as sets (order never matters, spelling does); lists compare in order.
So every input that is read back must be written in the form the engine returns, or each deploy
replaces the container under traffic (a container replace stops the old one first:
pulumi-docker `DeleteBeforeReplace`).

`tests/test_provider_behaviour.py` runs every container of every stack (dev, staging, prod; Tencent
Cloud, Alibaba Cloud, an existing host; the ha topology) through `container_read_back` (the engine's
rewrites, then the provider's read) and fails on any input whose read-back value differs, naming the
container, the input and whether the next `up` would replace or update it.

## Sources

| short | what was read |
|---|---|
| TF | `{pb.TF}`: the `upstream` submodule of {pb.PULUMI_DOCKER}, the version the failing real run used; unchanged for these resources on the default branch up to 2026-07-22. requirements.txt pins pulumi-docker 5.2.0, released later and wrapping a later upstream (its SDK has `device_cgroup_rules`): not re-read, unverified |
| MOBY | `{pb.MOBY}` (the VM's engine, `components/render/host_packages.py`; the provider's Go client is the same tag) |
| CLI | `{pb.CLI}` `opts/opts.go` |
| BR | `{pb.BRIDGE}` (pulumi-docker v5.1.0's go.mod) |
| CMD | `{pb.PULUMI_COMMAND}` |
"""

PROGRAM = """## What the program does about it

- Capabilities are written as the engine returns them (`CAP_CHOWN`, not `CHOWN`):
  `components/runtime/containers.py` `Hardening` refuses any other spelling, and the image contracts
  (`components/runtime/image_contracts.py` `root_caps`) use the same names.
- A container in the host's PID namespace (node-exporter) declares `label=disable` next to
  `no-new-privileges:true`: `Hardening.pid_mode` sets both, from `engine_security_opts`.
- `memory_swap` is always declared with `memory` (the daemon would set twice the memory).
- `log_opts` declares every key of the VM's `daemon.json` `log-opts` (the daemon merges the rest in).
- Health check durations are written as Go prints them (`10s`, `1m30s`, never `90s`); `cpus` as the
  provider prints them (`0.5`, `1.0`; never `0.05` or `10`, which read back as `0.1` and `10.`).
- Every `remote.Command` sets `add_previous_output_in_env=False`: none of our `update`/`delete`
  commands reads `PULUMI_COMMAND_STDOUT`/`PULUMI_COMMAND_STDERR`, so the provider no longer asks sshd to
  accept them and the hardened sshd keeps refusing every client variable (no `AcceptEnv`, which would
  not reach an existing host's sshd anyway).

### The first `pulumi up` after this change

- Containers: every container pulumi-docker manages is replaced once, whatever the refresh: each now
  declares `cpus` (its CPU limit, issue 22), and `cpus` forces a new container (table above). nginx's
  replacement is a few seconds without the site, PostgreSQL's and Redis's a clean stop and start; the
  app colours are the release script's, not replaced. The `CAP_` names and `label=disable` ride on the
  same replacement. Later refreshes read back exactly what is declared, so nothing is replaced again.
  Run `pulumi preview --refresh` first to see the list, and deploy in a quiet hour.
- Remote commands: `addPreviousOutputInEnv` is a new input of every `remote.Command`, so that `up`
  updates each once (pulumi-command runs `update`, or `create` when there is none). That rewrites every
  file (the same content), reloads nginx and Prometheus, re-runs the release script's deploy of the
  current image, and restarts PostgreSQL and Redis once (`components/runtime/data.py`
  `restart_on_change`): deploy it in a quiet hour.

## Not modelled

- A zero health check field takes the image's HEALTHCHECK value (MOBY `daemon/commit.go` `merge`).
  Wherever the stack declares a health check it sets interval, timeout, start period and retries
  (`components/runtime/containers.py` `healthcheck`); `start_interval` stays 0s and reads back as 0s
  unless the image's HEALTHCHECK sets `--start-interval`. Which upstream images have a HEALTHCHECK at
  their pinned tags was not re-read (cAdvisor's has one, `tests/e2e/images/README.md`); the graph test
  cannot see an image's HEALTHCHECK. A container with no declared health check keeps the image's
  (the attribute is Optional+Computed).
- An existing host's `daemon.json` is the operator's: its `log-opts` keys must be a subset of the
  stack's (`docs/existing-host.md`); the test models Docker's defaults there.
- Why the first preview after a create shows no diff although create ends with the same read was not
  established from the source; the refresh path above was.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _kind(a: pb.Attribute) -> str:
    return {"block-set": "set of blocks", "block-list": "list of blocks"}.get(a.kind, a.kind)


def _change(a: pb.Attribute) -> str:
    if a.on_change == pb.UPDATE and not a.applied:
        return "update (not applied: Update ignores it)"
    return a.on_change


def _read(a: pb.Attribute) -> str:
    text = a.read
    if a.computed:
        text += "; undeclared keeps what is read"
    if a.default is not None:
        text += f"; default `{a.default}`" if a.default else "; default empty"
    return text


def render_behaviour(b: pb.ResourceBehaviour) -> str:
    rows = "\n".join(
        f"| `{a.name}` (`{a.tf_name}`) | {_kind(a)} | {_cell(_read(a))} | {_cell(a.read_as)} | {_change(a)} | "
        f"{_cell(f'{a.source.path} `{a.source.function}`')} |"
        for a in b.attributes
    )
    return (f"### {b.type_token}\n\n"
            f"Provider resource {b.tf_type}. Read: {b.read_function}. Schema: {b.schema}. "
            f"A replace: {b.replace_order}. {b.notes}\n\n"
            "| input | kind | read back | as | a change | source |\n|---|---|---|---|---|---|\n"
            f"{rows}\n")


def render_provider_behaviour_markdown() -> str:
    engine = "\n".join(f"| {_cell(r.what)} | {_cell(str(r.source))} |" for r in pb.ENGINE_RULES)
    resources = "\n".join(render_behaviour(b) for b in pb.BEHAVIOURS.values())
    return (f"{HEADER}\n## What the engine does between create and inspect\n\n| rule | source |\n|---|---|\n{engine}\n\n"
            f"{PROGRAM}\n## Per resource\n\n{resources}")


if __name__ == "__main__":
    print(render_provider_behaviour_markdown(), end="")

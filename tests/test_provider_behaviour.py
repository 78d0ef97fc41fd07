"""Every container of every stack survives a refresh: each input is written in the form the
engine returns and the docker provider reads back (components/runtime/provider_behaviour.py,
issue 19). A refresh that reads back anything else makes the next `up` replace the container
(or update it for ever); each finding names the container, the input and replace/update.

The pure functions are checked against the sources' own examples and quirks."""
from __future__ import annotations

import json

import pytest
import yaml

from components.runtime import provider_behaviour as pb
from components.runtime.provider_behaviour import (
    BEHAVIOURS, CONTAINER, EngineDefaults, canonical_capabilities, canonical_capability, container_drift,
    container_read_back, engine_log_opts, engine_security_opts, go_duration_string, read_back_cpus,
    read_back_duration,
)


# --- the pure functions --------------------------------------------------------------------------

def test_capabilities_take_the_clients_canonical_form():
    # moby client/container_create.go normalizeCapabilities: upper-case, CAP_ prefix, unique, sorted; ALL stays.
    assert canonical_capability("chown") == "CAP_CHOWN"
    assert canonical_capability("CAP_SETUID") == "CAP_SETUID"
    assert canonical_capability("all") == "ALL"
    assert canonical_capabilities(["SETUID", "chown", "CAP_CHOWN"]) == ["CAP_CHOWN", "CAP_SETUID"]


@pytest.mark.parametrize("kw, added", [
    ({"pid_mode": "host"}, True),
    ({"ipc_mode": "host"}, True),
    ({"privileged": True}, True),
    ({}, False),
])
def test_the_daemon_adds_label_disable_for_a_host_pid_or_ipc_namespace_or_privileged(kw, added):
    # moby daemon/create.go generateSecurityOpt; a host network namespace is not among its cases.
    assert ("label=disable" in engine_security_opts(["no-new-privileges:true"], **kw)) is added
    assert engine_security_opts(["label=type:x"], pid_mode="host") == ["label=type:x"]


def test_daemon_log_opts_merge_only_into_its_own_driver():
    daemon = {"max-size": "20m", "max-file": "5"}
    assert engine_log_opts({"max-size": "10m"}, "json-file", "json-file", daemon) == {"max-size": "10m", "max-file": "5"}
    assert engine_log_opts({"tag": "x"}, "local", "json-file", daemon) == {"tag": "x"}


@pytest.mark.parametrize("sent, read", [
    ("0.5", "0.5"), ("1", "1.0"), ("1.0", "1.0"), ("2", "2.0"), ("1.5", "1.5"), ("0.25", "0.25"),
    # nanoInt64ToDecimalString's quirks: nine zeros in the 9-decimal string means FloatString(1).
    ("0.05", "0.1"), ("10", "10."),
])
def test_cpus_read_back_as_the_provider_formats_them(sent, read):
    assert read_back_cpus(sent) == read


def test_cpus_finer_than_a_nano_cpu_are_refused():
    with pytest.raises(ValueError, match="too precise"):
        read_back_cpus("0.0000000001")


@pytest.mark.parametrize("sent, read", [
    ("10s", "10s"), ("60s", "1m0s"), ("90s", "1m30s"), ("1h", "1h0m0s"), ("1.5s", "1.5s"), ("500ms", "500ms"),
    ("0s", "0s"), ("1m30s", "1m30s"),
])
def test_healthcheck_durations_read_back_as_go_prints_them(sent, read):
    assert read_back_duration(sent) == read


def test_go_duration_string_small_units():
    assert go_duration_string(1500) == "1.5µs"
    assert go_duration_string(7) == "7ns"


def test_an_input_missing_from_the_table_is_refused():
    with pytest.raises(KeyError, match="no attribute 'gpus'"):
        container_read_back({"name": "x", "gpus": "all"})


def test_a_network_declaring_less_than_the_daemon_reports_drifts():
    # A gateway is reported only when given; a network that gave one and then stopped declaring it
    # is replaced (ipam_config is a ForceNew set).
    declared = {"name": "n", "ipamConfigs": [{"subnet": "172.30.9.0/24"}]}
    read = {**pb.network_read_back(declared), "ipamConfigs": [{"subnet": "172.30.9.0/24", "gateway": "172.30.9.1"}]}
    (d,) = pb.drift(pb.NETWORK_BEHAVIOUR, declared, read)
    assert (d.attribute, d.action) == ("ipamConfigs", "replace")
    assert pb.network_drift(declared) == []


def test_the_model_finds_todays_refresh_diffs():
    # The two diffs the real providers showed after `pulumi refresh` (issue 19).
    declared = {"capabilities": {"drops": ["ALL"], "adds": ["CHOWN", "SETUID"]},
                "securityOpts": ["no-new-privileges:true"], "pidMode": "host", "networkMode": "host"}
    found = {d.attribute: d for d in container_drift(declared)}
    assert found["capabilities"].read == {"adds": ["CAP_CHOWN", "CAP_SETUID"], "drops": ["ALL"]}
    assert found["securityOpts"].read == ["no-new-privileges:true", "label=disable"]
    assert {d.action for d in found.values()} == {"replace"}


def test_every_table_entry_names_its_source():
    for b in BEHAVIOURS.values():
        for a in b.attributes:
            assert a.source.repo and a.source.path and a.source.function, (b.type_token, a.name)
            assert a.read in (pb.ALWAYS, pb.IF_DECLARED, pb.IMPORT_ONLY, pb.NEVER), a
            assert a.on_change in (pb.REPLACE, pb.UPDATE, pb.NONE), a


# --- the program, every stack --------------------------------------------------------------------

def engine_of(plan) -> EngineDefaults:
    """The daemon defaults the stack's VM runs with: cloud-init's daemon.json; an existing host's
    engine is the operator's (docs/existing-host.md), modelled as Docker's defaults like the e2e engine."""
    cloud_init = plan.artifacts.get("cloud-init.yaml")
    if not cloud_init:
        return EngineDefaults()
    doc = yaml.safe_load(cloud_init)
    (entry,) = [f for f in doc["write_files"] if f["path"].endswith("/docker/daemon.json")]
    return EngineDefaults.from_daemon_json(json.loads(entry["content"]))


def refresh_findings(plan) -> list[str]:
    engine = engine_of(plan)
    found = [f"{c.inputs['name']} {d}" for c in plan.of_type(CONTAINER) for d in container_drift(c.inputs, engine)]
    return found + [f"{n.inputs['name']} {d}" for n in plan.of_type(pb.NETWORK) for d in pb.network_drift(n.inputs)]


def test_every_container_survives_a_refresh(plan):
    assert refresh_findings(plan) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_container_on_an_existing_host_survives_a_refresh(plan_of, stack):
    assert refresh_findings(plan_of(stack, "ssh")) == []


@pytest.mark.parametrize("cloud", ["tencentcloud", "alicloud"])
def test_every_container_of_the_ha_topology_survives_a_refresh(plan_of, cloud):
    assert refresh_findings(plan_of("prod", cloud, topology="ha")) == []


def test_a_misspelt_capability_is_refused_before_any_resource():
    from components.runtime.containers import Hardening
    with pytest.raises(ValueError, match=r"CAP_CHOWN"):
        Hardening(64, cap_add=("CHOWN",))


@pytest.mark.parametrize("cpus", [0.05, 10.0])
def test_a_cpu_limit_the_provider_reads_back_otherwise_is_refused(cpus):
    from components.runtime.containers import Hardening
    with pytest.raises(ValueError, match="reads it back as"):
        Hardening(64, cpus=cpus)
    assert Hardening(64, cpus=0.5).cpus == 0.5


def test_a_cloud_vm_merges_its_daemon_log_opts(plan_of):
    engine = engine_of(plan_of("dev"))
    assert dict(engine.log_opts), "cloud-init's daemon.json sets log-opts; the model must see them"


def test_no_remote_command_asks_sshd_for_environment_variables(plan):
    # pulumi-command v1.2.1 remote/commandOutputs.go `run`: on update and delete it setenv's
    # PULUMI_COMMAND_STDOUT/STDERR unless addPreviousOutputInEnv is false; the hardened sshd
    # accepts no client variable, so every such run warned. `environment` would fail outright.
    asking = [c.name for c in plan.of_type(pb.COMMAND)
              if c.inputs.get("addPreviousOutputInEnv") is not False or c.inputs.get("environment")]
    assert asking == []


def test_sshd_stays_closed_to_client_environment_variables(plan_of):
    assert "AcceptEnv" not in plan_of("dev").artifacts["cloud-init.yaml"]


def test_docs_provider_behaviour_md_is_the_rendering_of_the_table():
    from pathlib import Path

    from components.runtime.provider_behaviour_doc import render_provider_behaviour_markdown
    doc = Path(__file__).resolve().parents[1] / "docs" / "provider-behaviour.md"
    assert doc.read_text() == render_provider_behaviour_markdown(), (
        "docs/provider-behaviour.md is stale: .venv/bin/python -m components.runtime.provider_behaviour_doc "
        "> docs/provider-behaviour.md")

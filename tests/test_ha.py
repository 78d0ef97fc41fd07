"""The ha topology (docs/ha.md) of prod on both clouds, as the whole program registers it."""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from components.plan.run import ROOT
from components.settings import SettingsError, from_mapping
from tests.tools import require_tool

CONTAINER = "docker:index/container:Container"
COMMAND = "command:remote:Command"

T = {
    "tencentcloud": {
        "vm": "tencentcloud:Instance/instance:Instance", "subnet": "tencentcloud:Subnet/instance:Instance",
        "lb": "tencentcloud:Clb/instance:Instance", "dns": "tencentcloud:Dnspod/record:Record",
        "pg": "tencentcloud:Postgresql/instance:Instance", "redis": "tencentcloud:Redis/instance:Instance",
    },
    "alicloud": {
        "vm": "alicloud:ecs/instance:Instance", "subnet": "alicloud:vpc/switch:Switch",
        "lb": "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer", "dns": "alicloud:dns/alidnsRecord:AlidnsRecord",
        "pg": "alicloud:rds/instance:Instance", "redis": "alicloud:kvstore/instance:Instance",
    },
}


@pytest.fixture(params=["tencentcloud", "alicloud"])
def ha(request, plan_of):
    return request.param, plan_of("prod", request.param, topology="ha")


def rid(reg) -> str:
    return f"{reg.name}-id"


def containers_by_host(plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in plan.of_type(CONTAINER):
        out.setdefault(c.provider.split("::")[-1].rsplit("::", 1)[0].split("-access-docker")[0], set()).add(c.inputs["name"])
    return out


def test_ha_needs_a_second_zone_and_names_the_key():
    base = {"environment": "dev", "domain": "dev.xqfc.example", "dnsZone": "xqfc.example", "adminCidrs": ["203.0.113.7/32"],
            "sshPublicKey": "ssh-ed25519 " + "A" * 68, "appImage": "app:1", "topology": "ha"}
    with pytest.raises(SettingsError) as err:
        from_mapping(base, "dev")
    assert "xqfc:secondaryZone" in str(err.value)
    with pytest.raises(SettingsError) as err:
        from_mapping({**base, "secondaryZone": "ap-guangzhou-3"}, "dev")
    assert "xqfc:secondaryZone" in str(err.value) and "differ" in str(err.value)
    assert from_mapping({**base, "secondaryZone": "ap-guangzhou-4"}, "dev").ha_subnets == ("10.20.2.0/24", "10.20.3.0/24")
    # The hosts' zones, in host order: the second app host runs in secondaryZone, a single VM in zone only.
    ha_settings = from_mapping({**base, "secondaryZone": "ap-guangzhou-4"}, "dev")
    assert ha_settings.zones == (ha_settings.zone, "ap-guangzhou-4")
    single = from_mapping({**base, "topology": "single", "secondaryZone": "ap-guangzhou-4"}, "dev")
    assert single.zones == (single.zone,)


def test_app_hosts_in_two_zones_and_subnets(ha):
    cloud, plan = ha
    vms = plan.of_type(T[cloud]["vm"])
    assert len(vms) >= 2
    zone_key = "availabilityZone"
    assert len({v.inputs[zone_key] for v in vms}) == 2
    subnet_key = "subnetId" if cloud == "tencentcloud" else "vswitchId"
    assert len({v.inputs[subnet_key] for v in vms}) == 2


def test_load_balancer_listeners_and_health_check(ha):
    cloud, plan = ha
    s = from_mapping({k.split(":", 1)[1]: v for k, v in plan.config.items() if k.startswith("xqfc:")}, "prod")
    lb = plan.one(T[cloud]["lb"])
    vms = {rid(v) for v in plan.of_type(T[cloud]["vm"])}
    if cloud == "tencentcloud":
        assert lb.inputs["networkType"] == "OPEN" and lb.inputs["vpcId"]
        listeners = {r.inputs["port"]: r for r in plan.of_type("tencentcloud:Clb/listener:Listener")}
        assert set(listeners) == {443, 80}
        https = listeners[443]
        assert https.inputs["protocol"] == "HTTPS"
        cert = plan.one("tencentcloud:Ssl/certificate:Certificate")
        assert https.inputs["certificateId"] == rid(cert) and cert.inputs["key"] == "[secret]"
        rules = {r.name: r for r in plan.of_type("tencentcloud:Clb/listenerRule:ListenerRule")}
        https_rule = next(r for r in rules.values() if r.inputs["listenerId"] == f"lbl-{https.name}")
        assert https_rule.inputs["healthCheckSwitch"] is True and https_rule.inputs["healthCheckHttpPath"] == s.app_health_path
        (attach,) = plan.of_type("tencentcloud:Clb/attachment:Attachment")
        assert {t["instanceId"] for t in attach.inputs["targets"]} == vms
        (redirect,) = plan.of_type("tencentcloud:Clb/redirection:Redirection")
        assert redirect.inputs["sourceListenerId"] == f"lbl-{listeners[80].name}"
        assert redirect.inputs["targetListenerId"] == f"lbl-{https.name}"
    else:
        assert lb.inputs["addressType"] == "internet"
        listeners = {r.inputs["frontendPort"]: r for r in plan.of_type("alicloud:slb/listener:Listener")}
        assert set(listeners) == {443, 80}
        assert all(r.inputs["healthCheck"] == "on" for r in listeners.values())
        # The app's own health, over plain http on 80 (nginx passes it through, no redirect).
        for r in listeners.values():
            i = r.inputs
            assert (i["healthCheckType"], i["healthCheckConnectPort"], i["healthCheckUri"]) == ("http", 80, s.app_health_path)
            assert i["healthCheckHttpCode"] == "http_2xx"
        (backends,) = plan.of_type("alicloud:slb/backendServer:BackendServer")
        assert {b["serverId"] for b in backends.inputs["backendServers"]} == vms


def test_managed_database_and_cache_are_private_and_app_only(ha):
    cloud, plan = ha
    pg, redis = plan.one(T[cloud]["pg"]), plan.one(T[cloud]["redis"])
    if cloud == "tencentcloud":
        assert pg.inputs["publicAccessSwitch"] is False and redis.inputs["wanAddressSwitch"] == "close"
        assert {n["role"]: n["zone"] for n in pg.inputs["dbNodeSets"]} == {"Primary": "ap-guangzhou-6", "Standby": "ap-guangzhou-7"}
        assert pg.inputs["backupPlan"]["baseBackupRetentionPeriod"] == 30
        assert pg.inputs["rootPassword"] == "[secret]" and redis.inputs["password"] == "[secret]"
        assert redis.inputs["redisReplicasNum"] >= 1
        (data_sg_rules,) = [r for r in plan.of_type("tencentcloud:Security/groupRuleSet:GroupRuleSet") if "data" in r.name]
        app_sg = next(r for r in plan.of_type("tencentcloud:Security/group:Group") if r.name.endswith("-net-sg"))
        accepts = [i for i in data_sg_rules.inputs["ingresses"] if i["action"] == "ACCEPT"]
        assert sorted(int(i["port"]) for i in accepts) == [5432, 6379]
        assert all(i["sourceSecurityId"] == rid(app_sg) and "cidrBlock" not in i for i in accepts)
        assert data_sg_rules.inputs["ingresses"][-1]["action"] == "DROP"
        for r in (pg, redis):
            assert r.inputs["securityGroups"] == [data_sg_rules.inputs["securityGroupId"]]
    else:
        assert pg.inputs["category"] == "HighAvailability" and pg.inputs["zoneIdSlaveA"] != pg.inputs["zoneId"]
        assert redis.inputs["enablePublic"] is False and redis.inputs["password"] == "[secret]"
        app_cidrs = sorted(v.inputs["cidrBlock"] for v in plan.of_type(T[cloud]["subnet"]) if "data" not in v.name)
        assert sorted(pg.inputs["securityIps"]) == app_cidrs == sorted(redis.inputs["securityIps"])
        (account,) = plan.of_type("alicloud:rds/rdsAccount:RdsAccount")
        assert account.inputs["accountPassword"] == "[secret]"


def test_no_data_containers_and_app_points_at_managed_services(ha):
    cloud, plan = ha
    names = {c.inputs["name"] for c in plan.of_type(CONTAINER)}
    assert not {"xqfc-postgres", "xqfc-redis"} & names
    envs = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/app/app.env")]
    assert len(envs) == len(plan.of_type(T[cloud]["vm"]))
    for env in envs:
        assert env.inputs["stdin"] == "[secret]"
        keys = dict(line.split("=", 1) for line in env.secret_inputs["stdin"].strip().splitlines())
        pg_host = "10.0.3.20" if cloud == "tencentcloud" else "pgm-mock.pg.rds.aliyuncs.com"
        assert f"@{pg_host}:5432/xqfc" in keys["DATABASE_URL"]
        assert keys["REDIS_URL"].startswith("redis://:") and ":6379/0" in keys["REDIS_URL"]
    assert "MIGRATE_NETWORK=xqfc-edge" in plan.artifacts["release/release.conf"]


def test_nginx_on_every_host_monitoring_on_one(ha):
    cloud, plan = ha
    nginx = [c for c in plan.of_type(CONTAINER) if c.inputs["name"] == "xqfc-nginx"]
    assert len(nginx) == len(plan.of_type(T[cloud]["vm"]))
    assert len({c.provider for c in nginx}) == len(nginx)
    assert len([c for c in plan.of_type(CONTAINER) if c.inputs["name"] == "xqfc-prometheus"]) == 1
    assert len([c for c in plan.of_type(CONTAINER) if c.inputs["name"] == "xqfc-node-exporter"]) == len(nginx)
    for c in plan.of_type(CONTAINER):
        for port in c.inputs.get("ports", []):
            if c.inputs["name"] == "xqfc-node-exporter":
                assert port["ip"].startswith("10."), "node-exporter must publish on the private address only"


def test_prometheus_scrapes_every_host(ha, tmp_path):
    cloud, plan = ha
    (prom,) = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/monitoring/prometheus/prometheus.yml")]
    config = yaml.safe_load(prom.inputs["stdin"])
    (node,) = [j for j in config["scrape_configs"] if j["job_name"] == "node"]
    targets = [t for sc in node["static_configs"] for t in sc["targets"]]
    private = [r for r in plan.of_type(T[cloud]["vm"])]
    assert len(targets) == len(private)
    assert len({sc["labels"]["host"] for sc in node["static_configs"]}) == len(private)
    # The extended config is still one Prometheus accepts.
    promtool = require_tool("promtool")
    path = tmp_path / "prometheus.yml"
    config.pop("rule_files", None)
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(check=False, args=[promtool, "check", "config", "--syntax-only", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_exporters_and_backups_target_the_managed_database(ha):
    _, plan = ha
    pg_exp = next(c for c in plan.of_type(CONTAINER) if c.inputs["name"] == "xqfc-postgres-exporter")
    assert [n["name"] for n in pg_exp.inputs["networksAdvanced"]] == ["xqfc-monitoring"]
    uri = next(e for e in pg_exp.inputs["envs"] if e.startswith("DATA_SOURCE_URI="))
    assert ":5432/xqfc" in uri and not uri.startswith("DATA_SOURCE_URI=postgres:")
    units = {k: v for k, v in plan.artifacts.items() if k.startswith("backup/systemd/")}
    assert "backup/systemd/xqfc-backup-redis.timer" not in units
    dump = units["backup/systemd/xqfc-backup-postgres.service"]
    assert "docker run --rm -i --network host -e PGPASSWORD -e PGHOST=" in dump and "docker exec" not in dump
    (install,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-backup-install")]
    assert "xqfc-backup-postgres.timer" in install.inputs["create"] and "redis" not in install.inputs["create"]
    (bootstrap,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-db-bootstrap")]
    assert bootstrap.inputs["stdin"] == "[secret]" and "CREATE DATABASE" in bootstrap.inputs["create"]


def test_releases_roll_host_after_host(ha):
    cloud, plan = ha
    releases = sorted((r for r in plan.of_type(COMMAND) if r.name.endswith("-app-release")), key=lambda r: r.name)
    assert len(releases) == len(plan.of_type(T[cloud]["vm"])) >= 2
    first, *later = releases  # xqfc-prod-host-app-release, xqfc-prod-host2-app-release, ...
    assert first.name == "xqfc-prod-host-app-release"
    previous = first
    for r in later:
        assert previous.urn in r.dependencies, f"{r.name} does not wait for {previous.name}"
        previous = r
    assert not any(r.urn in first.dependencies for r in later)


def test_dns_and_cdn_point_at_the_load_balancer(ha):
    cloud, plan = ha
    lb_address = "203.0.113.80" if cloud == "tencentcloud" else "203.0.113.81"
    records = plan.of_type(T[cloud]["dns"])
    value_key = "value"
    a_records = [r for r in records if r.inputs.get("recordType", r.inputs.get("type")) == "A"]
    assert a_records and all(r.inputs[value_key] == lb_address for r in a_records)
    cdn_type = "tencentcloud:Cdn/domain:Domain" if cloud == "tencentcloud" else "alicloud:cdn/domainNew:DomainNew"
    cdn = plan.one(cdn_type)
    origins = cdn.inputs["origin"]["originLists"] if cloud == "tencentcloud" else [s["content"] for s in cdn.inputs["sources"]]
    assert origins == [lb_address]


@pytest.mark.parametrize("extra", [[], ["--cloud", "alicloud"]])
def test_plan_command_runs_ha(tmp_path, extra):
    result = subprocess.run(
        [sys.executable, "-m", "components.plan", "--stack", "prod", "--set", "topology=ha", *extra, "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "xqfc-prod-host2-vm" in result.stdout


def test_the_hosts_reboot_at_different_times(ha):
    """One cloud-init for every host carries the first host's reboot time; every later host gets
    its own over SSH (components/render/host_updates.py), so the two never reboot together."""
    from components.render.host_updates import CONFIG_PATH, reboot_time

    _cloud, plan = ha
    user_data = yaml.safe_load(plan.artifacts["cloud-init.yaml"])
    first = next(f for f in user_data["write_files"] if f["path"] == CONFIG_PATH)["content"]
    windows = [r for r in plan.of_type(COMMAND) if r.name.endswith("-reboot-window")]
    assert [r.name for r in windows] == ["xqfc-prod-host2-reboot-window"]
    (second,) = windows
    assert CONFIG_PATH in second.inputs["create"] and "sudo tee" in second.inputs["create"]
    times = [f'Automatic-Reboot-Time "{reboot_time(i)}"' for i in (0, 1)]
    assert times[0] in first and times[1] in second.inputs["stdin"] and times[0] != times[1]


def test_a_single_host_gets_no_second_window(plan_of):
    assert not [r for r in plan_of("prod").of_type(COMMAND) if r.name.endswith("-reboot-window")]


# --- what a user sees behind the load balancer (issue 21) ------------------------------------


def _env_files(plan) -> list:
    return sorted((r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/app/app.env")),
                  key=lambda r: r.name)


def test_one_app_secret_key_for_every_host(ha):
    """SECRET_KEY signs the session cookie and the CSRF token the browser carries; the next
    request may land on the other host, so every host must hold the same key, made once."""
    cloud, plan = ha
    keys = [r for r in plan.of_type("random:index/randomPassword:RandomPassword") if r.name.endswith("-secret-key")]
    assert [k.name for k in keys] == ["xqfc-prod-host-app-secret-key"], cloud
    (key,) = keys
    envs = _env_files(plan)
    assert len(envs) == len(plan.of_type(T[cloud]["vm"])) >= 2
    for env in envs:
        assert key.urn in env.dependencies, f"{env.name} does not read the stack's one SECRET_KEY"
    values = {dict(line.split("=", 1) for line in e.secret_inputs["stdin"].strip().splitlines())["SECRET_KEY"] for e in envs}
    assert len(values) == 1


def _vm_identity(cloud: str, vm) -> tuple[str, str]:
    """(the cloud's host name argument, the hostname the VM's cloud-init sets)."""
    import base64

    if cloud == "tencentcloud":
        name, raw = vm.inputs["hostname"], vm.inputs["userDataRaw"]
    else:
        name, raw = vm.inputs["hostName"], base64.b64decode(vm.inputs["userData"]).decode()
    return name, yaml.safe_load(raw)["hostname"]


def test_each_host_boots_with_its_own_name_and_monitoring_uses_it(ha):
    """cloud-init sets the OS hostname from the user data on every boot; node-exporter's
    nodename, the logs and the alerts' `host` label must name one machine each."""
    cloud, plan = ha
    vms = sorted(plan.of_type(T[cloud]["vm"]), key=lambda v: v.name)
    identities = [_vm_identity(cloud, v) for v in vms]
    for cloud_name, os_name in identities:
        assert cloud_name == os_name, f"{cloud}: the cloud calls it {cloud_name}, cloud-init names it {os_name}"
    names = [os_name for _, os_name in identities]
    assert len(set(names)) == len(vms) >= 2, f"{cloud}: hosts share a hostname: {names}"
    (prom,) = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/monitoring/prometheus/prometheus.yml")]
    (node,) = [j for j in yaml.safe_load(prom.inputs["stdin"])["scrape_configs"] if j["job_name"] == "node"]
    assert sorted(sc["labels"]["host"] for sc in node["static_configs"]) == sorted(names)


KEYS = {
    "tencentcloud": ("tencentcloud:Cam/user:User", "tencentcloud:Cam/accessKey:AccessKey"),
    "alicloud": ("alicloud:ram/user:User", "alicloud:ram/accessKey:AccessKey"),
}


@pytest.mark.parametrize("topology", ["single", "ha"])
@pytest.mark.parametrize("cloud", ["tencentcloud", "alicloud"])
def test_the_backup_sub_user_has_exactly_one_key_the_one_the_backup_job_reads(plan_of, cloud, topology):
    """Tencent's cam.User makes an API key of its own unless use_api is false (provider
    default true, resource_tc_cam_user.go); a second key resource would then be the user's
    second key, and CAM allows two per user. Alibaba's ram.User makes none."""
    plan = plan_of("prod", cloud, **({"topology": "ha"} if topology == "ha" else {}))
    user_type, key_type = KEYS[cloud]
    (user,) = plan.of_type(user_type)
    if cloud == "tencentcloud":
        assert user.inputs.get("useApi") is False, "cam.User would create a key of its own (use_api defaults to true)"
    else:
        assert not {"useApi", "accessKey"} & set(user.inputs)
    (key,) = plan.of_type(key_type)
    assert user.urn in key.dependencies
    (backup_env,) = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/backup/backup.env")]
    assert key.urn in backup_env.dependencies, "the backup job must read the one key"


def test_the_app_notices_a_vanished_database_primary(ha):
    """A zone loss leaves the app's pooled connections to the old primary half-open; libpq's
    keepalives and tcp_user_timeout (in DATABASE_URL) make them fail in seconds, not minutes."""
    from urllib.parse import parse_qs, urlsplit

    cloud, plan = ha
    for env in _env_files(plan):
        url = dict(line.split("=", 1) for line in env.secret_inputs["stdin"].strip().splitlines())["DATABASE_URL"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query.get("keepalives") == "1" and "tcp_user_timeout" in query, f"{cloud} {env.name}: no failover keywords: {query}"
        assert int(query["tcp_user_timeout"]) <= 15000
        dead_idle_after = int(query["keepalives_idle"]) + int(query["keepalives_interval"]) * int(query["keepalives_count"])
        assert dead_idle_after <= 60, "an idle dead connection must be found well within nginx's 60 s read timeout"

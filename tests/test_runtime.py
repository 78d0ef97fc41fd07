"""The services on the VM, as the whole program registers them, per stack and cloud."""
from __future__ import annotations

import re

import pytest

from components.plan.mocks import MASK
from components.plan.stack_config import OFFLINE_SECRET

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"
COMMAND = "command:remote:Command"
PROVIDER = "pulumi:providers:docker"


def containers(plan) -> dict[str, object]:
    return {r.inputs["name"]: r for r in plan.of_type(CONTAINER)}


def file_writes(plan) -> dict[str, object]:
    """Remote file writes by target path (files.write_command ends with `mv -f <tmp> <path>`)."""
    out = {}
    for r in plan.of_type(COMMAND):
        m = re.search(r"mv -f \S+ (\S+)$", r.inputs.get("create", ""))
        if m:
            out[m.group(1).strip("'")] = r
    return out


def test_read_only_containers_mount_the_folders_their_files_are_written_to(plan):
    written = set(file_writes(plan))
    for name, c in containers(plan).items():
        i = c.inputs
        assert "uploads" not in i, name
        for v in i.get("volumes", []):
            host = v.get("hostPath", "")
            if host.startswith("/srv/xqfc/"):
                assert v["readOnly"] is True, (name, v)
                assert any(w.startswith(host + "/") for w in written), (name, host, "nothing is written there")


def test_expected_containers_run(plan):
    names = set(containers(plan))
    expected = {
        "xqfc-postgres", "xqfc-redis", "xqfc-nginx", "xqfc-prometheus", "xqfc-alertmanager", "xqfc-grafana",
        "xqfc-node-exporter", "xqfc-cadvisor", "xqfc-postgres-exporter", "xqfc-redis-exporter",
        "xqfc-nginx-exporter", "xqfc-blackbox-exporter",
    }
    assert expected <= names
    # The app is released by the script, never as a delete-before-replace Container.
    assert not any(n.startswith("xqfc-app") for n in names)


def test_only_nginx_publishes_and_only_web_ports(plan):
    for name, c in containers(plan).items():
        for port in c.inputs.get("ports", []):
            public = port.get("ip") in (None, "", "0.0.0.0", "::")
            if name == "xqfc-nginx":
                assert port["internal"] in (80, 443) and port["external"] == port["internal"]
            else:
                # Grafana may sit on loopback for an SSH tunnel; nothing else publishes at all.
                assert name == "xqfc-grafana" and not public and port.get("ip") == "127.0.0.1", (name, port)


def test_data_services_are_on_the_internal_network_only(plan):
    nets = {r.inputs["name"]: r for r in plan.of_type(NETWORK)}
    assert nets["xqfc-data"].inputs["internal"] is True
    for name in ("xqfc-postgres", "xqfc-redis"):
        attached = [n["name"] for n in containers(plan)[name].inputs["networksAdvanced"]]
        assert attached == ["xqfc-data"], (name, attached)


def test_every_container_is_hardened_and_limited(plan):
    for name, c in containers(plan).items():
        i = c.inputs
        assert "no-new-privileges:true" in i["securityOpts"], name
        assert i["capabilities"]["drops"] == ["ALL"], name
        assert 0 < i["memory"] <= 8192, name
        assert i["logOpts"]["max-size"] and i["restart"] == "unless-stopped", name
        assert "privileged" not in i or i["privileged"] is False, name


def test_passwords_are_generated_and_secret_end_to_end(plan):
    passwords = plan.of_type("random:index/randomPassword:RandomPassword")
    assert len(passwords) >= 4  # postgres, redis, grafana, app secret key
    pg = containers(plan)["xqfc-postgres"]
    assert not any("PASSWORD=" in e and not e.endswith("_FILE=/run/xqfc/postgres-password") for e in pg.inputs["envs"])
    # Secret files are written on the host (stdin of a remote command, secret in state), 0400
    # and owned by the uid that reads them, in a folder the container mounts read-only.
    written = file_writes(plan)
    for path, owner in (("/srv/xqfc/postgres/postgres-password", "0:0"), ("/srv/xqfc/redis/redis.conf", "999"),
                        ("/srv/xqfc/monitoring/secrets/grafana/grafana-admin", "472"),
                        ("/srv/xqfc/monitoring/secrets/postgres-exporter/pg-password", "65534"),
                        ("/srv/xqfc/monitoring/secrets/redis-exporter/redis-password.json", "59000")):
        cmd = written[path]
        assert cmd.inputs["stdin"] == MASK, path
        assert "chmod 0400 " in cmd.inputs["create"] and f"sudo chown {owner} " in cmd.inputs["create"], path
    env_files = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/app/app.env")]
    (env_file,) = env_files
    assert env_file.inputs["stdin"] == MASK
    assert plan.outputs["grafana_admin_password"].secret is True


def test_app_secrets_reach_only_the_env_file(plan):
    (env,) = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/srv/xqfc/app/app.env")]
    text = env.secret_inputs["stdin"]
    keys = dict(line.split("=", 1) for line in text.strip().splitlines())
    assert keys["DATABASE_URL"].startswith("postgresql://xqfc:") and "@postgres:5432/xqfc" in keys["DATABASE_URL"]
    assert keys["REDIS_URL"].startswith("redis://:") and keys["APP_ENV"] == plan.stack
    # The app listens where the health gate, nginx and Prometheus look (appPort).
    assert keys["PORT"] == "8000"


def test_volumes_protected_in_prod(plan):
    prod = plan.stack == "prod"
    vols = {r.inputs["name"]: r for r in plan.of_type(VOLUME)}
    for name in ("xqfc-pgdata", "xqfc-redisdata", "xqfc-prometheus", "xqfc-grafana"):
        assert vols[name].protect is prod and vols[name].retain_on_delete is prod, name


def test_docker_goes_through_ssh_after_the_vm_is_ready(plan):
    (provider,) = plan.of_type(PROVIDER)
    assert provider.inputs["host"].startswith("ssh://deploy@")
    assert "StrictHostKeyChecking=accept-new" in provider.inputs["sshOpts"]
    ready = next(r for r in plan.of_type(COMMAND) if r.name.endswith("-access-ready"))
    assert ready.urn in provider.dependencies
    assert "bootstrap-done" in ready.inputs["create"]
    vm = next(r for r in plan.resources if r.type in ("tencentcloud:Instance/instance:Instance", "alicloud:ecs/instance:Instance"))
    assert vm.urn in ready.dependencies
    for r in plan.resources:
        if r.type.startswith("docker:index/"):
            assert r.provider and r.provider.startswith(provider.urn), r.name


def test_one_release_per_change_and_no_destroy_on_replace(plan):
    (release,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-app-release")]
    i = release.inputs
    assert i["create"] == i["update"]
    assert re.search(r"sh /srv/xqfc/release/release.sh deploy \S+$", i["create"])
    assert i["create"].endswith(" " + plan.config["xqfc:appImage"])
    assert "triggers" not in i
    deps = {plan.by_urn(u).name for u in release.dependencies}
    assert any(n.endswith("-postgres-container") for n in deps) and any(n.endswith("-redis-container") for n in deps)
    nginx = next(r for r in plan.of_type(CONTAINER) if r.inputs["name"] == "xqfc-nginx")
    # nginx starts with an upstream file that names a live app.
    assert release.urn in nginx.dependencies


def test_nginx_config_changes_reload_instead_of_replacing(plan):
    nginx = next(r for r in plan.of_type(CONTAINER) if r.inputs["name"] == "xqfc-nginx")
    assert "uploads" not in nginx.inputs
    mounts = {v["containerPath"]: v for v in nginx.inputs["volumes"]}
    assert mounts["/etc/xqfc-nginx"]["hostPath"] == "/srv/xqfc/nginx" and mounts["/etc/xqfc-nginx"]["readOnly"] is True
    (reload,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-edge-reload")]
    assert "nginx -t" in reload.inputs["create"] and "nginx -s reload" in reload.inputs["create"]
    assert reload.inputs["triggers"] and reload.inputs["triggers"][0] != MASK


def test_postgres_is_tuned_to_its_memory(plan):
    conf = plan.artifacts["postgres/postgresql.conf"]
    memory = containers(plan)["xqfc-postgres"].inputs["memory"]
    shared = int(re.search(r"^shared_buffers = (\d+)MB$", conf, re.M).group(1))
    assert shared == memory // 4


@pytest.mark.parametrize("stack", ["prod"])
def test_prod_pulls_only_digests(plan_of, stack):
    for image in plan_of(stack).of_type(IMAGE):
        assert re.search(r"@sha256:[0-9a-f]{64}$", image.inputs["name"]), image.inputs["name"]


def test_backup_timers_are_installed(plan):
    (install,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-backup-install")]
    for timer in ("xqfc-backup-postgres.timer", "xqfc-restore-drill.timer", "xqfc-backup-redis.timer"):
        assert timer in install.inputs["create"]
    units = {k: v for k, v in plan.artifacts.items() if k.startswith("backup/systemd/")}
    schedule = plan.config.get("xqfc:backupSchedule", "daily")
    assert f"OnCalendar={schedule}" in units["backup/systemd/xqfc-backup-postgres.timer"]


def test_monitoring_config_is_rendered_and_secret_files_masked(plan):
    a = plan.artifacts
    assert "scrape_configs" in a["monitoring/prometheus/prometheus.yml"]
    # Shown for review with only its secret values masked (tests/test_plan_output.py runs amtool on it).
    am = a["monitoring/alertmanager/alertmanager.yml"]
    assert "receivers:" in am and OFFLINE_SECRET not in am
    (reload,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-monitoring-reload")]
    assert "http_reload xqfc-prometheus http://127.0.0.1:9090/-/reload" in reload.inputs["create"]


def test_release_config_drives_our_nginx_and_aliases_the_app(plan):
    conf = plan.artifacts["release/release.conf"]
    values = dict(line.split("=", 1) for line in conf.strip().splitlines())
    assert "-c /etc/xqfc-nginx/nginx.conf" in values["NGINX_TEST_CMD"] and "nginx -t" in values["NGINX_TEST_CMD"]
    assert "-c /etc/xqfc-nginx/nginx.conf" in values["NGINX_RELOAD_CMD"]
    assert values["APP_NETWORK_ALIAS"] == "app" and "xqfc-monitoring" in values["APP_NETWORKS"]
    prom = plan.artifacts["monitoring/prometheus/prometheus.yml"]
    port = plan.config.get("xqfc:appPort", "8000")
    assert f"app:{port}" in prom


def test_backup_age_alert_follows_the_schedule(plan):
    import yaml

    from components.runtime.monitoring import schedule_interval_hours

    rules = yaml.safe_load(plan.artifacts["monitoring/prometheus/rules/xqfc-alerts.yml"])
    exprs = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    interval = schedule_interval_hours(plan.config.get("xqfc:backupSchedule", "daily"))
    assert interval is not None
    threshold = int(exprs["BackupStale"].rsplit(">", 1)[1])
    assert threshold == (2 * interval + 1) * 3600


def test_schedule_intervals():
    from components.runtime.monitoring import schedule_interval_hours

    assert schedule_interval_hours("daily") == 24
    assert schedule_interval_hours("*-*-* 00/6:00:00") == 6
    assert schedule_interval_hours("*-*-* 00/12:00:00") == 12
    assert schedule_interval_hours("Mon *-*-* 04:00:00") is None


def test_secret_config_files_are_readable_only_by_their_container_user(plan):
    (am,) = [r for r in plan.of_type(COMMAND) if r.inputs.get("create", "").endswith("/alertmanager/alertmanager.yml")]
    create = am.inputs["create"]
    assert "chmod 0600" in create and "sudo chown 65534:65534" in create
    assert am.inputs["stdin"] == MASK
    alertmanager = containers(plan)["xqfc-alertmanager"]
    assert alertmanager.inputs["user"] == "65534:65534"


def test_app_colours_have_edge_addresses_docker_never_hands_out(plan):
    """After a dockerd restart or reboot, containers start in any order; nginx's upstream names
    the live colour's address, so that address must stay the colour's (docs/releases.md)."""
    import ipaddress

    edge = next(r for r in plan.of_type(NETWORK) if r.inputs["name"] == "xqfc-edge")
    (ipam,) = edge.inputs["ipamConfigs"]
    subnet, dynamic = ipaddress.ip_network(ipam["subnet"]), ipaddress.ip_network(ipam["ipRange"])
    conf = plan.artifacts["release/release.conf"]
    pinned = [ipaddress.ip_address(re.search(rf"^APP_IP_{c}=(\S+)$", conf, re.M).group(1)) for c in ("BLUE", "GREEN")]
    assert len(set(pinned)) == 2
    for address in pinned:
        assert address in subnet and address not in dynamic, (address, subnet, dynamic)

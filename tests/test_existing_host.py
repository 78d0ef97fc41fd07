"""cloud ssh: the platform on a server the user already has (components/cloud/ssh.py).

Settings refuse what an existing host can't do, a provided certificate is checked before any
resource exists, and the program registers no cloud resource but the same runtime and the
same outputs contract as on a cloud.
"""
from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.outputs import contract_names
from components.pem import certificate_problems
from components.render.host_readiness import existing_host_ready
from components.settings import SettingsError, from_mapping

SECRETS = {"s3AccessKeyId", "s3SecretAccessKey"}


def ssh_stack(**extra) -> dict:
    base = {
        "environment": "dev",
        "cloud": "ssh",
        "domain": "dev.xqfc.example",
        "adminCidrs": '["203.0.113.10/32"]',
        "appImage": "registry.example/xqfc/app:1.0.0",
        "sshHosts": '["203.0.113.50"]',
        "s3Endpoint": "https://s3.example.net",
        "s3Bucket": "xqfc-backups",
        "s3AccessKeyId": "placeholder",
        "s3SecretAccessKey": "placeholder",
        "acmeDnsProvider": "cloudflare",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def problems_of(raw: dict, secret: set[str] = SECRETS) -> dict[str, str]:
    with pytest.raises(SettingsError) as info:
        from_mapping(raw, "dev", secret)
    return {p.key: p.message for p in info.value.problems}


def test_a_minimal_existing_host_stack_is_valid():
    s = from_mapping(ssh_stack(), "dev", SECRETS)
    assert s.on_existing_host and s.docker_root == "/var/lib/docker" and s.dns_zone == ""


@pytest.mark.parametrize(
    "change,key,fragment",
    [
        ({"sshHosts": "[]"}, "sshHosts", "exactly one"),
        ({"sshHosts": '["a.example", "b.example"]'}, "sshHosts", "exactly one"),
        ({"sshHosts": '["bad host"]'}, "sshHosts", "not host addresses"),
        ({"sshHosts": '["host.example:70000"]'}, "sshHosts", "not host addresses"),
        ({"topology": "ha", "secondaryZone": "ap-guangzhou-4"}, "topology", "supports single"),
        ({"cdnEnabled": "true"}, "cdnEnabled", "no CDN"),
        ({"tencentAppId": "1250000000"}, "tencentAppId", "cloud setting"),
        ({"bucketName": "xqfc-dev"}, "bucketName", "s3Bucket"),
        ({"s3Endpoint": None}, "s3Endpoint", "S3-compatible"),
        ({"s3Endpoint": "http://s3.example.net"}, "s3Endpoint", "http:// only for 127.0.0.1"),
        ({"s3Bucket": None}, "s3Bucket", "existing bucket"),
        ({"s3Bucket": "Backups_2026"}, "s3Bucket", "S3 bucket name"),
        ({"acmeDnsProvider": None}, "acmeDnsProvider", "lego DNS provider"),
        ({"acmeDnsProvider": "Cloud Flare"}, "acmeDnsProvider", "lego DNS provider code"),
        ({"tlsSource": "selfsigned"}, "tlsSource", "'acme' or 'provided'"),
        ({"tlsSource": "provided"}, "tlsCertificatePem", "--secret tlsCertificatePem"),
        ({"dockerRootDir": "var/lib/docker"}, "dockerRootDir", "absolute path"),
    ],
)
def test_existing_host_refuses_what_it_cannot_do(change, key, fragment):
    found = problems_of(ssh_stack(**change))
    assert key in found, found
    assert fragment in found[key], found[key]


def test_bucket_keys_must_be_secrets():
    found = problems_of(ssh_stack(), secret={"s3SecretAccessKey"})
    assert "must be set as a secret" in found["s3AccessKeyId"]
    found = problems_of({k: v for k, v in ssh_stack().items() if k != "s3SecretAccessKey"})
    assert "--secret s3SecretAccessKey" in found["s3SecretAccessKey"]


def test_a_cloud_stack_refuses_existing_host_settings_and_needs_its_own():
    cloud = ssh_stack(cloud="tencentcloud", tlsSource="provided")
    found = problems_of(cloud)
    for key in ("sshHosts", "s3Endpoint", "s3Bucket", "acmeDnsProvider", "tlsSource", "s3AccessKeyId", "dnsZone", "sshPublicKey"):
        assert key in found, (key, found)
    assert "placeholder" not in "".join(found.values()), "a secret's value was echoed"


# --- a provided certificate ---------------------------------------------------------------


def make_cert(names: list[str], days: int = 90, key=None) -> tuple[str, str]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


NAMES = ["dev.xqfc.example", "www.dev.xqfc.example"]


def provided(cert: str, key: str) -> dict:
    return ssh_stack(tlsSource="provided", tlsCertificatePem=cert, tlsPrivateKeyPem=key, acmeDnsProvider=None)


PROVIDED_SECRETS = SECRETS | {"tlsCertificatePem", "tlsPrivateKeyPem"}


def test_a_matching_certificate_for_the_site_names_is_accepted():
    cert, key = make_cert(NAMES)
    assert certificate_problems(cert, key, NAMES) == {}
    assert from_mapping(provided(cert, key), "dev", PROVIDED_SECRETS).tls_source == "provided"
    # A wildcard covers exactly one label.
    wild, wkey = make_cert(["dev.xqfc.example", "*.dev.xqfc.example"])
    assert certificate_problems(wild, wkey, NAMES) == {}
    assert "does not cover" in certificate_problems(wild, wkey, ["a.b.dev.xqfc.example"])["tlsCertificatePem"]


@pytest.mark.parametrize(
    "case,key,fragment",
    [
        ("another key", "tlsPrivateKeyPem", "does not belong"),
        ("expired", "tlsCertificatePem", "expired"),
        ("other names", "tlsCertificatePem", "does not cover ['www.dev.xqfc.example']"),
        ("not pem", "tlsCertificatePem", "not a PEM certificate"),
        ("key not pem", "tlsPrivateKeyPem", "not an unencrypted PEM private key"),
    ],
)
def test_a_wrong_certificate_is_refused_without_echoing_it(case, key, fragment):
    cert, pkey = make_cert(NAMES)
    if case == "another key":
        pkey = make_cert(NAMES)[1]
    elif case == "expired":
        cert, pkey = make_cert(NAMES, days=-1)
    elif case == "other names":
        cert, pkey = make_cert(["dev.xqfc.example"])
    elif case == "not pem":
        cert = "certificate goes here"
    elif case == "key not pem":
        # A real key whose body is damaged: the markers stay, the key does not parse.
        lines = pkey.splitlines()
        pkey = "\n".join([lines[0], "not base64", lines[-1]]) + "\n"
    found = problems_of(provided(cert, pkey), PROVIDED_SECRETS)
    assert fragment in found[key], found
    text = "".join(found.values())
    body = [line for value in (cert, pkey) for line in value.splitlines() if len(line) > 8 and "-----" not in line]
    assert body and not [line for line in body if line in text], "a PEM value was echoed"


# --- the readiness gate -------------------------------------------------------------------


def test_readiness_gate_is_clean_shell(tmp_path):
    script = tmp_path / "ready.sh"
    script.write_text("#!/bin/sh\n" + existing_host_ready("deploy", "/data", "/var/lib/docker"))
    subprocess.run(["shellcheck", "-s", "sh", str(script)], check=True)


def test_readiness_gate_names_everything_missing(tmp_path):
    # A host with none of the prerequisites: every one is named, and nothing is created.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "dirname", "id"):
        (bin_dir / tool).symlink_to(subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip())
    (bin_dir / "sudo").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "sudo").chmod(0o755)
    r = subprocess.run(["/bin/sh", "-c", existing_host_ready("deploy", str(tmp_path / "data"), "/var/lib/docker")],
                       env={"PATH": str(bin_dir)}, capture_output=True, text=True)
    assert r.returncode == 1
    for fragment in ("cannot reach Docker", "passwordless sudo", "systemd", "zstd", "boto3"):
        assert fragment in r.stderr, (fragment, r.stderr)
    assert not (tmp_path / "data").exists()


# --- the graph ----------------------------------------------------------------------------

RUNTIME_PREFIXES = ("docker:", "command:", "random:")


def test_no_cloud_resource_and_the_same_runtime_as_on_a_cloud(plan_of):
    ssh = plan_of("dev", "ssh")
    cloud = plan_of("dev", "tencentcloud")
    assert not [r.type for r in ssh.resources if r.type.startswith(("tencentcloud:", "alicloud:"))]

    def runtime(plan):
        return sorted((r.type, r.name) for r in plan.resources if r.type.startswith(RUNTIME_PREFIXES))

    assert runtime(ssh) == runtime(cloud)
    assert set(ssh.outputs) == set(contract_names())
    assert ssh.outputs["cloud"].value == "ssh" and ssh.outputs["dns_names"].value == []
    assert ssh.outputs["bucket_endpoint"].value == "https://s3.example.net" and ssh.outputs["region"].value == ""


def test_existing_host_is_checked_then_reached_by_docker_over_ssh(plan_of):
    plan = plan_of("dev", "ssh")
    ready = next(r for r in plan.of_type("command:remote:Command") if r.name.endswith("-access-ready"))
    assert "cannot reach Docker" in ready.inputs["create"] and "cloud-init" not in ready.inputs["create"]
    assert ready.inputs["triggers"] == ["203.0.113.50"], "another host is checked again"
    (provider,) = plan.of_type("pulumi:providers:docker")
    assert provider.inputs["host"] == "ssh://deploy@203.0.113.50:22"
    assert ready.urn in provider.dependencies
    # cAdvisor and the Redis snapshot read Docker's data root where this host keeps it.
    cadvisor = next(r for r in plan.of_type("docker:index/container:Container") if r.inputs["name"] == "xqfc-cadvisor")
    assert {"hostPath": "/var/lib/docker", "containerPath": "/var/lib/docker", "readOnly": True} in cadvisor.inputs["volumes"]


def test_bucket_keys_stay_secret_on_the_host(plan_of):
    plan = plan_of("dev", "ssh")
    env = next(r for r in plan.of_type("command:remote:Command") if r.inputs.get("create", "").endswith("/srv/xqfc/backup/backup.env"))
    assert env.inputs["stdin"] == "[secret]"

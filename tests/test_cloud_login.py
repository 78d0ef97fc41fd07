"""How operators log in to a cloud VM: the deploy user's key from cloud-init, nothing else.

Both clouds' ImportKeyPair take RSA-family keys only (Tencent: "OpenSSH RSA"; Alibaba: rsa,
dsa, ssh-rsa, ssh-dss, ecdsa; docs/cloud-rules.md), so a cloud key pair made from the stacks'
ed25519 key fails at `pulumi up`. The program therefore binds no key pair and no password;
the key goes to the deploy user through cloud-init, which takes every OpenSSH key type.
"""
from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
import yaml

from components.render.cloud_init import render_cloud_init
from components.settings import CLOUDS
from tests.cloud_views import VIEWS, view_of
from tests.test_cloud_init import SPEC, cloud_init_schema
from tests.tools import require_tool

STACKS = ("dev", "staging", "prod")
# A second zone for the stacks that do not name one, so every stack also runs as ha.
SECOND_ZONE = {"tencentcloud": "ap-guangzhou-6", "alicloud": "cn-hangzhou-j"}
KEY_TYPES = ("tencentcloud:Key/", "alicloud:ecs/ecsKeyPair", "alicloud:ecs/keyPair")


@pytest.fixture(params=[(s, c, t) for c in CLOUDS for s in STACKS for t in ("single", "ha")], ids="-".join)
def any_plan(request, plan_of):
    stack, cloud, topology = request.param
    extra = {} if topology == "single" else {"topology": "ha"}
    if topology == "ha" and stack != "prod":
        extra["secondaryZone"] = SECOND_ZONE[cloud]
    return plan_of(stack, cloud, **extra)


def _vms(plan):
    v = view_of(plan)
    return [v.vm(_Only(r)) for r in plan.of_type(v.T["vm"])]


class _Only:
    """A plan narrowed to one VM registration, so the per-cloud view reads each host."""

    def __init__(self, reg):
        self.reg = reg

    def one(self, _type):
        return self.reg


def test_no_cloud_key_pair_and_no_password_on_any_vm(any_plan):
    plan = any_plan
    assert not [r.type for r in plan.resources if r.type.startswith(KEY_TYPES)]
    vms = _vms(plan)
    assert vms
    for vm in vms:
        assert vm.login_args == {}, f"{vm.reg.name} binds {vm.login_args}"


def test_every_vm_gets_the_operators_key_through_cloud_init(any_plan):
    plan = any_plan
    key = plan.config["xqfc:sshPublicKey"]
    assert key.startswith("ssh-ed25519 ")  # the stacks' key type the clouds' key pairs refuse
    for vm in _vms(plan):
        doc = yaml.safe_load(vm.user_data)
        (user,) = doc["users"]
        assert user["ssh_authorized_keys"] == [key]
        assert user["lock_passwd"] is True and doc["ssh_pwauth"] is False and doc["disable_root"] is True


def test_login_view_sees_a_key_pair_when_one_is_bound(plan_of):
    # The check above can fail: a VM registration carrying the clouds' login arguments is seen.
    for cloud, v in VIEWS.items():
        reg = plan_of("dev", cloud).one(v.T["vm"])
        bound = type(reg)(**{**reg.__dict__, "inputs": {**reg.inputs, v.LOGIN_ARGS[0]: ["skey-1"]}})
        assert v.vm(_Only(bound)).login_args == {v.LOGIN_ARGS[0]: ["skey-1"]}


def test_stack_key_is_a_real_ed25519_key(tmp_path, plan_of):
    key = plan_of("prod").config["xqfc:sshPublicKey"]
    path = tmp_path / "key.pub"
    path.write_text(key + "\n")
    out = subprocess.run([require_tool("ssh-keygen"), "-l", "-f", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith("(ED25519)")


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa", "rsa"])
def test_cloud_init_accepts_every_openssh_key_type(tmp_path, key_type):
    # A fresh key of each type, read by cloud-init's own key parser (Debian's cloud-init) and
    # rendered into user data that cloud-init's schema accepts.
    keygen = require_tool("ssh-keygen")
    subprocess.run([keygen, "-q", "-t", key_type, "-N", "", "-C", "ops", "-f", str(tmp_path / "id")], check=True)
    key = (tmp_path / "id.pub").read_text().strip()
    path = tmp_path / "user-data.yaml"
    path.write_text(render_cloud_init(replace(SPEC, ssh_public_keys=(key,))))
    result = cloud_init_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert yaml.safe_load(path.read_text())["users"][0]["ssh_authorized_keys"] == [key]
    probe = (
        "import sys; from cloudinit import ssh_util; k = ssh_util.AuthKeyLineParser().parse(sys.argv[1]); "
        "print(k.keytype if k.valid() and k.keytype in ssh_util.VALID_KEY_TYPES else 'INVALID')"
    )
    require_tool("cloud-init")
    out = subprocess.run(["/usr/bin/python3", "-c", probe, key], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == key.split()[0]

"""Pulumi mocks that stand in for the clouds, and a monitor that records what was registered.

The recording monitor keeps each registration as the engine would receive it: inputs
(camelCase, secrets still marked), parent, dependencies and resource options, so tests can
assert on secrecy, protection and ordering, not just on values.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASK = "[secret]"
# Stands in for private key material; tests look for it wherever a key must not appear.
MOCK_KEY = "mock-private-key-material"


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent_urn: str | None
    custom: bool
    inputs: dict[str, Any]  # secrets replaced by MASK
    secret_inputs: dict[str, Any]  # the same inputs, unmasked (for tests that check values)
    dependencies: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    provider: str | None = None

    @property
    def parent_name(self) -> str | None:
        return self.parent_urn.rsplit("::", 1)[1] if self.parent_urn else None


def _clean(value: Any, mask: bool) -> Any:
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            return MASK if mask else _clean(value.get("value"), mask)
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: _clean(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, mask) for v in value]
    if isinstance(value, float) and value.is_integer():
        # protobuf Struct carries every number as a double.
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
    return value


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        # The engine marks a provider's additional secret outputs secret; the SDK's mock monitor
        # does not, which would make every generated password look plain. Do what the engine does.
        for key in request.additionalSecretOutputs:
            if key in response.object.fields:
                value = struct_pb2.Value()
                value.CopyFrom(response.object.fields[key])
                wrapped = response.object.fields[key].struct_value
                response.object.fields[key].struct_value.Clear()
                wrapped.fields[SPECIAL_SIG_KEY].string_value = SECRET_SIG
                wrapped.fields["value"].CopyFrom(value)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            parent = request.parent or None
            if parent and parent.split("::")[2].endswith("pulumi:pulumi:Stack"):
                parent = None
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent_urn=parent,
                    custom=bool(request.custom),
                    inputs=_clean(raw, mask=True),
                    secret_inputs=_clean(raw, mask=False),
                    dependencies=list(request.dependencies),
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    ignore_changes=list(request.ignoreChanges),
                    replace_on_changes=list(request.replaceOnChanges),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    provider=request.provider or None,
                )
            )
        return response


class CloudMocks(pulumi.runtime.Mocks):
    """Plausible provider outputs, keyed on type tokens. Documentation address ranges only."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        t = args.typ
        if t.endswith("Instance/instance:Instance") or t == "alicloud:ecs/instance:Instance":
            # From the name, not the registration order (which varies between runs), so a plan
            # is the same every time it is made.
            n = 10 + zlib.crc32(args.name.encode()) % 240
            state.update(publicIp=f"192.0.2.{n}", privateIp=f"10.0.1.{n}", primaryIpAddress=f"10.0.1.{n}")
        elif t == "tencentcloud:Clb/instance:Instance":
            state.update(clbVips=["203.0.113.80"], domain="lb-mock.clb.myqcloud.com")
        elif t == "tencentcloud:Clb/listener:Listener":
            state.update(listenerId=f"lbl-{args.name}")
        elif t == "tencentcloud:Clb/listenerRule:ListenerRule":
            state.update(ruleId=f"loc-{args.name}")
        elif t == "tencentcloud:Postgresql/instance:Instance":
            state.update(privateAccessIp="10.0.3.20", privateAccessPort=5432)
        elif t == "tencentcloud:Redis/instance:Instance":
            state.update(ip="10.0.3.30", port=6379)
        elif t == "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer":
            state.update(address="203.0.113.81")
        elif t == "alicloud:rds/instance:Instance":
            state.update(connectionString="pgm-mock.pg.rds.aliyuncs.com", port="5432")
        elif t == "alicloud:kvstore/instance:Instance":
            state.update(connectionDomain="r-mock.redis.rds.aliyuncs.com")
        elif t == "alicloud:ram/accessKey:AccessKey":
            state.update(secret="mock-writer-secret")
        elif t == "tencentcloud:Cam/user:User":
            state.update(uin=100000000123)
        elif t == "tencentcloud:Cam/accessKey:AccessKey":
            state.update(accessKey="AKIDmockbackupwriter0001", secretAccessKey="mock-writer-secret")
        elif t == "tencentcloud:Cdn/domain:Domain":
            state.update(cname=f"{args.inputs.get('domain')}.cdn.dnsv1.com")
        elif t == "alicloud:cdn/domainNew:DomainNew":
            state.update(cname=f"{args.inputs.get('domainName')}.w.kunlunsl.com")
        elif t == "alicloud:ecs/ecsKeyPair:EcsKeyPair":
            state.update(fingerPrint="mock:fingerprint")
        elif t == "acme:index/registration:Registration":
            state.update(accountKeyPem=MOCK_KEY + " (acme account)",
                         registrationUrl="https://acme.invalid/acct/1")
        elif t == "acme:index/certificate:Certificate":
            state.update(
                certificatePem=f"-----BEGIN CERTIFICATE-----\nMOCK {args.inputs.get('commonName')}\n-----END CERTIFICATE-----\n",
                issuerPem="-----BEGIN CERTIFICATE-----\nMOCK ISSUER\n-----END CERTIFICATE-----\n",
                privateKeyPem=MOCK_KEY,
                certificateNotAfter="2027-02-21T00:00:00Z",
                certificateUrl="https://acme.invalid/cert/1",
            )
        elif t == "docker:index/remoteImage:RemoteImage":
            # The provider's id is the pulled image's sha256; the reference stands for it here, so
            # a plan shows the image every container runs.
            state.update(imageId=args.inputs["name"])
        elif t == "random:index/randomPassword:RandomPassword":
            state.update(result="m" * int(args.inputs.get("length", 16)), bcryptHash="$2a$mock")
        elif t == "tls:index/privateKey:PrivateKey":
            state.update(privateKeyOpenssh="MOCK", privateKeyPem="MOCK", publicKeyOpenssh="ssh-ed25519 AAAAmock")
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append(args.token)
        if args.token == "tencentcloud:Images/getInstance:getInstance":
            return {
                "images": [
                    {
                        "imageId": "img-mock0001",
                        "imageName": "Ubuntu Server 24.04 LTS 64bit",
                        "osName": "Ubuntu Server 24.04 LTS 64bit",
                        "supportCloudInit": True,
                    }
                ]
            }
        if args.token == "tencentcloud:User/getInfo:getInfo":
            return {"appId": "1250000000", "uin": "100000000001", "ownerUin": "100000000001"}
        if args.token == "alicloud:ecs/getImages:getImages":
            return {
                "ids": ["ubuntu_24_04_x64_20G_alibase_mock.vhd"],
                "images": [
                    {
                        "id": "ubuntu_24_04_x64_20G_alibase_mock.vhd",
                        "imageId": "ubuntu_24_04_x64_20G_alibase_mock.vhd",
                        "name": "ubuntu_24_04_x64_20G_alibase_mock.vhd",
                        "osName": "Ubuntu  24.04 64位",
                        "osType": "linux",
                    }
                ],
            }
        if args.token == "alicloud:index/getAccount:getAccount":
            return {"id": "1234567890123456"}
        raise NotImplementedError(f"no mock for invoke {args.token}: add one in components/plan/mocks.py")

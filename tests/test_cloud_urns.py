"""The cloud resources keep their URNs. Pulumi knows a resource by its URN: the types of its
parents, its own type and its name. A change to any of them (a renamed child, a component
type token, a new parent) makes `pulumi up` delete the resource and create another, which for
the VM, the bucket or the managed database means losing it. Refactoring the adapters
(components/cloud/foundation.py) must leave every URN where it was.

The largest graph of each cloud, prod in the ha topology, holds every kind of cloud resource
the adapters make (the other stacks differ only in their DNS record names). A resource the
adapters add is pinned in the same change; none pinned may move or go. A deliberate rename
belongs in a change that says so, with the state moved (aliases, `pulumi state move`) and this
list updated.
"""
from __future__ import annotations

import pytest

from components.plan.run import PlanResult
from components.settings import CLOUDS

STACK_TYPE = "pulumi:pulumi:Stack"
PLATFORM = "xqfc:platform:Platform$"

# `<parent types$type>::<name>` below the Platform component, as the engine forms the URN.
PINNED = {
    "tencentcloud": """
        xqfc:tencentcloud:Foundation::xqfc-prod
        xqfc:tencentcloud:Foundation$pulumi:providers:tencentcloud::xqfc-prod-provider
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket::xqfc-prod-storage
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket$tencentcloud:Cam/accessKey:AccessKey::xqfc-prod-storage-writer-key
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket$tencentcloud:Cam/policy:Policy::xqfc-prod-storage-writer-policy
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket$tencentcloud:Cam/user:User::xqfc-prod-storage-writer
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket$tencentcloud:Cam/userPolicyAttachment:UserPolicyAttachment::xqfc-prod-storage-writer-attach
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Bucket$tencentcloud:Cos/bucket:Bucket::xqfc-prod-storage-bucket
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge::xqfc-prod-edge
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$tencentcloud:Cdn/domain:Domain::xqfc-prod-edge-cdn
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$tencentcloud:Dnspod/record:Record::xqfc-prod-edge-dns-apex
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$tencentcloud:Dnspod/record:Record::xqfc-prod-edge-dns-www
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$tencentcloud:Ssl/certificate:Certificate::xqfc-prod-edge-cdn-cert
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$xqfc:tls:AcmeCertificate::xqfc-prod-edge-tls
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$xqfc:tls:AcmeCertificate$acme:index/certificate:Certificate::xqfc-prod-edge-tls-cert
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$xqfc:tls:AcmeCertificate$acme:index/registration:Registration::xqfc-prod-edge-tls-account
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Edge$xqfc:tls:AcmeCertificate$pulumi:providers:acme::xqfc-prod-edge-tls-provider
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:HaNetwork::xqfc-prod-ha
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:HaNetwork$tencentcloud:Security/group:Group::xqfc-prod-ha-data-sg
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:HaNetwork$tencentcloud:Security/groupRuleSet:GroupRuleSet::xqfc-prod-ha-data-rules
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:HaNetwork$tencentcloud:Subnet/instance:Instance::xqfc-prod-ha-data-subnet
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:HaNetwork$tencentcloud:Subnet/instance:Instance::xqfc-prod-ha-subnet2
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer::xqfc-prod-lb
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/attachment:Attachment::xqfc-prod-lb-backends
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/instance:Instance::xqfc-prod-lb-clb
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/listener:Listener::xqfc-prod-lb-http
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/listener:Listener::xqfc-prod-lb-https
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/listenerRule:ListenerRule::xqfc-prod-lb-http-rule
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/listenerRule:ListenerRule::xqfc-prod-lb-https-rule
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:LoadBalancer$tencentcloud:Clb/redirection:Redirection::xqfc-prod-lb-http-to-https
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:ManagedData::xqfc-prod-data
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:ManagedData$random:index/randomPassword:RandomPassword::xqfc-prod-data-pg-password
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:ManagedData$random:index/randomPassword:RandomPassword::xqfc-prod-data-redis-password
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:ManagedData$tencentcloud:Postgresql/instance:Instance::xqfc-prod-data-pg
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:ManagedData$tencentcloud:Redis/instance:Instance::xqfc-prod-data-redis
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Network::xqfc-prod-net
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Network$tencentcloud:Security/group:Group::xqfc-prod-net-sg
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Network$tencentcloud:Security/groupRuleSet:GroupRuleSet::xqfc-prod-net-rules
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Network$tencentcloud:Subnet/instance:Instance::xqfc-prod-net-subnet
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Network$tencentcloud:Vpc/instance:Instance::xqfc-prod-net-vpc
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Server::xqfc-prod-host
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Server::xqfc-prod-host2
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Server$tencentcloud:Instance/instance:Instance::xqfc-prod-host-vm
        xqfc:tencentcloud:Foundation$xqfc:tencentcloud:Server$tencentcloud:Instance/instance:Instance::xqfc-prod-host2-vm
    """,
    "alicloud": """
        xqfc:alicloud:Foundation::xqfc-prod
        xqfc:alicloud:Foundation$pulumi:providers:alicloud::xqfc-prod-provider
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket::xqfc-prod-storage
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:oss/bucket:Bucket::xqfc-prod-storage-bucket
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:oss/bucketAcl:BucketAcl::xqfc-prod-storage-acl
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:ram/accessKey:AccessKey::xqfc-prod-storage-writer-key
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:ram/policy:Policy::xqfc-prod-storage-writer-policy
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:ram/user:User::xqfc-prod-storage-writer
        xqfc:alicloud:Foundation$xqfc:alicloud:Bucket$alicloud:ram/userPolicyAttachment:UserPolicyAttachment::xqfc-prod-storage-writer-attach
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge::xqfc-prod-edge
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cas/serviceCertificate:ServiceCertificate::xqfc-prod-edge-cdn-cert
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-filetype-based-ttl-set
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-forward-scheme
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-https-force
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-https-option
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-https-origin-sni
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-https-tls-version
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainConfig:DomainConfig::xqfc-prod-edge-cdn-path-based-ttl-set
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:cdn/domainNew:DomainNew::xqfc-prod-edge-cdn
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:dns/alidnsRecord:AlidnsRecord::xqfc-prod-edge-dns-apex
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$alicloud:dns/alidnsRecord:AlidnsRecord::xqfc-prod-edge-dns-www
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$xqfc:tls:AcmeCertificate::xqfc-prod-edge-tls
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$xqfc:tls:AcmeCertificate$acme:index/certificate:Certificate::xqfc-prod-edge-tls-cert
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$xqfc:tls:AcmeCertificate$acme:index/registration:Registration::xqfc-prod-edge-tls-account
        xqfc:alicloud:Foundation$xqfc:alicloud:Edge$xqfc:tls:AcmeCertificate$pulumi:providers:acme::xqfc-prod-edge-tls-provider
        xqfc:alicloud:Foundation$xqfc:alicloud:HaNetwork::xqfc-prod-ha
        xqfc:alicloud:Foundation$xqfc:alicloud:HaNetwork$alicloud:vpc/switch:Switch::xqfc-prod-ha-data-subnet
        xqfc:alicloud:Foundation$xqfc:alicloud:HaNetwork$alicloud:vpc/switch:Switch::xqfc-prod-ha-subnet2
        xqfc:alicloud:Foundation$xqfc:alicloud:LoadBalancer::xqfc-prod-lb
        xqfc:alicloud:Foundation$xqfc:alicloud:LoadBalancer$alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer::xqfc-prod-lb-slb
        xqfc:alicloud:Foundation$xqfc:alicloud:LoadBalancer$alicloud:slb/backendServer:BackendServer::xqfc-prod-lb-backends
        xqfc:alicloud:Foundation$xqfc:alicloud:LoadBalancer$alicloud:slb/listener:Listener::xqfc-prod-lb-tcp-443
        xqfc:alicloud:Foundation$xqfc:alicloud:LoadBalancer$alicloud:slb/listener:Listener::xqfc-prod-lb-tcp-80
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData::xqfc-prod-data
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$alicloud:kvstore/instance:Instance::xqfc-prod-data-redis
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$alicloud:rds/backupPolicy:BackupPolicy::xqfc-prod-data-pg-backup
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$alicloud:rds/database:Database::xqfc-prod-data-pg-db
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$alicloud:rds/instance:Instance::xqfc-prod-data-pg
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$alicloud:rds/rdsAccount:RdsAccount::xqfc-prod-data-pg-account
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$random:index/randomPassword:RandomPassword::xqfc-prod-data-pg-password
        xqfc:alicloud:Foundation$xqfc:alicloud:ManagedData$random:index/randomPassword:RandomPassword::xqfc-prod-data-redis-password
        xqfc:alicloud:Foundation$xqfc:alicloud:Network::xqfc-prod-net
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroup:SecurityGroup::xqfc-prod-net-sg
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-in-22-198-51-100-0-28
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-in-22-203-0-113-10-32
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-in-443-any
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-in-80-any
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-in-9100-10-40-0-0-16
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:ecs/securityGroupRule:SecurityGroupRule::xqfc-prod-net-out-all
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:vpc/network:Network::xqfc-prod-net-vpc
        xqfc:alicloud:Foundation$xqfc:alicloud:Network$alicloud:vpc/switch:Switch::xqfc-prod-net-subnet
        xqfc:alicloud:Foundation$xqfc:alicloud:Server::xqfc-prod-host
        xqfc:alicloud:Foundation$xqfc:alicloud:Server::xqfc-prod-host2
        xqfc:alicloud:Foundation$xqfc:alicloud:Server$alicloud:ecs/instance:Instance::xqfc-prod-host-vm
        xqfc:alicloud:Foundation$xqfc:alicloud:Server$alicloud:ecs/instance:Instance::xqfc-prod-host2-vm
    """,
}


def engine_urns(plan: PlanResult) -> set[str]:
    """The URNs `pulumi up` gives these resources. The mocks record a URN with only the nearest
    parent's type (pulumi 3.272.0 runtime/mocks.py, MockMonitor.make_urn); the engine and the SDK
    chain every parent's type (runtime/resource.py create_urn: the parent URN up to its name, then
    `$type::name`; pkg/resource/urn.go NewURN leaves the root Stack's type out)."""
    by_urn = {r.urn: r for r in plan.resources}
    urns = set()
    for r in plan.resources:
        types, node = [], r
        while node is not None and node.type != STACK_TYPE:
            types.append(node.type)
            node = by_urn.get(node.parent_urn) if node.parent_urn else None
        urns.add("$".join(reversed(types)) + "::" + r.name)
    return urns


def pinned(cloud: str) -> set[str]:
    return {PLATFORM + line.strip() for line in PINNED[cloud].splitlines() if line.strip()}


def test_every_cloud_has_its_pins():
    assert set(PINNED) == set(CLOUDS)


@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_cloud_resource_moves(plan_of, cloud):
    missing = pinned(cloud) - engine_urns(plan_of("prod", cloud, topology="ha"))
    assert not missing, "URNs gone or moved (pulumi up would replace these):\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_pins_are_the_whole_cloud_foundation(plan_of, cloud):
    # A resource the adapters add is pinned with it, so that it cannot move later unseen.
    foundation = f"{PLATFORM}xqfc:{cloud}:Foundation"
    made = {u for u in engine_urns(plan_of("prod", cloud, topology="ha")) if u.startswith(foundation)}
    assert made == pinned(cloud)

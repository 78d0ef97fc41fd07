"""The steps every cloud Foundation takes, written once; each adapter supplies its SDK calls.

A Tencent or Alibaba stack is the same sequence: the provider, the network, the image, (ha:
the second zone and data subnet), the app hosts, the bucket, (ha: the load balancer), the
edge, (ha: the managed database and cache), and the neutral `Foundation` built from them.
`CloudFoundation` runs that sequence and calls the adapter's hooks for each resource; the
adapters (tencent.py, alicloud.py) keep only what differs: their SDK classes, arguments and
facts.

Every name, parent and option the hooks receive is the one the adapters used when each wrote
this sequence itself, so no URN moves: a moved URN would make `pulumi up` replace real cloud
resources (a VM, a bucket, a database).
"""
from __future__ import annotations

import abc
from typing import Any, Callable, ClassVar, Generic, Protocol, TypeVar

import pulumi

from components.cloud.shapes import (
    BucketArgs,
    EdgeArgs,
    NetworkArgs,
    ServerArgs,
    app_host_placements,
    app_hosts,
    assemble_foundation,
    bucket_args,
    child,
    edge_args,
    host_server_args,
    network_args,
    stack_tags,
)
from components.foundation import CacheEndpoint, DatabaseEndpoint, LoadBalancer, ObjectStore
from components.settings import Settings

# What the skeleton reads of each cloud's components. Read-only properties, so that an
# adapter's attribute of an SDK subclass (vpc.Instance, ecs.Instance...) satisfies them.


class NetworkParts(Protocol):
    @property
    def vpc(self) -> pulumi.CustomResource: ...
    @property
    def subnet(self) -> pulumi.CustomResource: ...
    @property
    def security_group(self) -> pulumi.CustomResource: ...


class HaNetworkParts(Protocol):
    @property
    def secondary_subnet(self) -> pulumi.CustomResource: ...


class ServerParts(Protocol):
    @property
    def instance(self) -> pulumi.CustomResource: ...
    @property
    def public_ip(self) -> pulumi.Output[str]: ...
    @property
    def private_ip(self) -> pulumi.Output[str]: ...


class BucketParts(Protocol):
    @property
    def name(self) -> pulumi.Output[str]: ...
    # The backup writer's S3-compatible keys.
    @property
    def access_key_id(self) -> pulumi.Output[str]: ...
    @property
    def secret_access_key(self) -> pulumi.Output[str]: ...


class EdgeParts(Protocol):
    @property
    def tls(self) -> Any: ...  # components.cloud.acme.AcmeCertificate
    @property
    def cdn_certificate(self) -> pulumi.CustomResource | None: ...
    @property
    def cdn(self) -> Any: ...  # the cloud's CDN domain resource (its `cname`), or None


class LoadBalancerParts(Protocol):
    @property
    def address(self) -> pulumi.Output[str]: ...
    @property
    def endpoint(self) -> LoadBalancer: ...


class ManagedDataParts(Protocol):
    @property
    def database(self) -> DatabaseEndpoint: ...
    @property
    def cache(self) -> CacheEndpoint: ...


ArgsT = TypeVar("ArgsT", contravariant=True)
PartsT = TypeVar("PartsT", covariant=True)


class Component(Protocol[ArgsT, PartsT]):
    """A cloud's component class, called as (name, args, opts). A Protocol rather than a
    Callable: mypy would bind a Callable class attribute as a method and expect `self`."""

    def __call__(self, name: str, args: ArgsT, opts: pulumi.ResourceOptions, /) -> PartsT: ...


# The ha pieces are passed back to the same adapter's hooks, which need their own concrete types.
HaT = TypeVar("HaT", bound=HaNetworkParts)
LbT = TypeVar("LbT", bound=LoadBalancerParts)


class CloudFoundation(pulumi.ComponentResource, abc.ABC, Generic[HaT, LbT]):
    """A cloud's Foundation component, `xqfc:<cloud>:Foundation`; `.foundation` is the neutral view."""

    cloud: ClassVar[str]  # the settings' `cloud` value, also the type token's middle part
    # The cloud's own components, each called as (name, args, opts).
    network_component: ClassVar[Component[NetworkArgs, NetworkParts]]
    server_component: ClassVar[Component[ServerArgs, ServerParts]]
    bucket_component: ClassVar[Component[BucketArgs, BucketParts]]
    edge_component: ClassVar[Component[EdgeArgs, EdgeParts]]

    def __init__(self, name: str, settings: Settings, user_data: Callable[[str], str], opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"xqfc:{self.cloud}:Foundation", name, None, opts)
        s = settings
        # Credentials come from the provider's own environment or profile, never from stack
        # files: only the region is ours.
        self.provider = self.make_provider(f"{name}-provider", s.region, child(self))
        with_provider = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        invoke = pulumi.InvokeOutputOptions(provider=self.provider)
        tags = stack_tags(s)

        self.network = self.network_component(f"{name}-net", network_args(s, tags), with_provider)
        image_id = s.image_id or self.lookup_image(s, invoke)
        self.ha: HaT | None = self.make_ha_network(f"{name}-ha", s, self.network, tags, with_provider) if s.is_ha else None

        placements = app_host_placements(s, self.network.subnet.id, self.ha.secondary_subnet.id if self.ha else None)
        self.servers = [
            self.server_component(f"{name}{p.resource_name}", host_server_args(
                s, zone=p.zone, image_id=image_id, subnet_id=p.subnet_id, security_group_id=self.network.security_group.id,
                user_data=user_data(p.hostname), hostname=p.hostname, vpc_id=self.network.vpc.id,
            ), with_provider)
            for p in placements
        ]
        self.server = self.servers[0]
        self.bucket = self.bucket_component(f"{name}-storage", bucket_args(s, self.account_id(s, invoke), tags), with_provider)
        self.lb: LbT | None = None
        if self.ha is not None:
            self.lb = self.make_load_balancer(f"{name}-lb", s, self.network, self.servers, tags, with_provider)
        self.edge = self.edge_component(
            f"{name}-edge",
            edge_args(s, self.lb.address if self.lb else self.server.public_ip, **self.edge_options(s)),
            with_provider,
        )
        ha_parts: dict[str, Any] = {}
        if self.ha is not None and self.lb is not None:
            self.finish_load_balancer(self.lb, s, self.edge, self.servers, with_provider)
            self.data = self.make_managed_data(f"{name}-data", s, self.network.vpc.id, self.ha, tags, with_provider)
            ha_parts = {"database": self.data.database, "cache": self.data.cache, "load_balancer": self.lb.endpoint}
        hosts = app_hosts(s, placements, [(srv.instance, srv.public_ip, srv.private_ip) for srv in self.servers])
        storage = ObjectStore(
            self.bucket.name, self.s3_endpoint(s.region), s.region,
            access_key_id=self.bucket.access_key_id,
            secret_access_key=pulumi.Output.secret(self.bucket.secret_access_key),
        )
        self.foundation = assemble_foundation(self.cloud, s, user_data, hosts, storage, self.edge, ha_parts)
        self.register_outputs({"public_ip": self.server.public_ip, "bucket": self.bucket.name})

    # --- what every cloud supplies ---

    @abc.abstractmethod
    def make_provider(self, name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource: ...

    @abc.abstractmethod
    def lookup_image(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
        """The image `imageNameRegex` selects, when `imageId` is not set."""

    @abc.abstractmethod
    def account_id(self, s: Settings, invoke: pulumi.InvokeOutputOptions) -> pulumi.Input[str]:
        """What makes the bucket name the account's own (bucket names are global on both clouds)."""

    @abc.abstractmethod
    def s3_endpoint(self, region: str) -> str: ...

    @abc.abstractmethod
    def edge_options(self, s: Settings) -> dict[str, Any]:
        """The cloud-specific fields of EdgeArgs."""

    # --- the ha topology (docs/ha.md) ---

    @abc.abstractmethod
    def make_ha_network(self, name: str, s: Settings, network: NetworkParts, tags: dict[str, str], opts: pulumi.ResourceOptions) -> HaT: ...

    @abc.abstractmethod
    def make_load_balancer(self, name: str, s: Settings, network: NetworkParts, servers: list[ServerParts], tags: dict[str, str],
                           opts: pulumi.ResourceOptions) -> LbT:
        """The public load balancer, made before the edge, which points DNS at its address."""

    def finish_load_balancer(self, lb: LbT, s: Settings, edge: EdgeParts, servers: list[ServerParts], opts: pulumi.ResourceOptions) -> None:
        """What of the load balancer must wait for the edge (its certificate); nothing by default."""

    @abc.abstractmethod
    def make_managed_data(self, name: str, s: Settings, vpc_id: pulumi.Input[str], ha: HaT, tags: dict[str, str],
                          opts: pulumi.ResourceOptions) -> ManagedDataParts: ...

"""Which provider releases the cloud facts describe, and when their pages were read.

The cloud tables (api_limits.LIMITS, catalog.INSTANCE_TYPES / SALE_STATUS, the rules' constants
in rules.py) restate two kinds of facts: the clouds' API pages (dated: they describe the API as
it was on the day read, whatever provider we run) and the providers' own behaviour (a schema
default, a validator), which holds only for the provider release read. Each row names
`read_at(cloud)`; tests/test_fact_versions.py fails when a provider pin in requirements.txt moves
away from `pin` here, so an upgrade re-reads the facts before it lands.

To upgrade a provider: bump requirements.txt, re-read the rows whose source is the provider
(validators, defaults) at the new release, then update `pin`, `terraform_version` and `source`.
"""
from __future__ import annotations

from dataclasses import dataclass

# Day the API pages behind the rows were last read (SaleFact.checked carries the same day).
PAGES_READ = "2026-12-04"

# A Terraform provider version that could not be read at the pinned wrapper's tag.
READ_ELSEWHERE = "unknown"


@dataclass(frozen=True)
class ProviderRelease:
    package: str            # the requirements.txt name
    pin: str                # the wrapper release the facts were read against
    terraform_provider: str  # the upstream Terraform provider it wraps
    terraform_version: str  # its version at `pin`, or READ_ELSEWHERE
    source: str             # where terraform_version was read (or why it could not be)
    read: str               # date the source was read


PROVIDERS: dict[str, ProviderRelease] = {
    "tencentcloud": ProviderRelease(
        package="tencentcloud-iac-pulumi", pin="0.2.3",
        terraform_provider="tencentcloudstack/terraform-provider-tencentcloud",
        terraform_version="v1.82.42",
        source=("tencentcloudstack/pulumi-tencentcloud:provider/go.mod@v0.2.3 "
                "(a8c3ff6da9f3054961da59ac682876e3c316ad62): "
                "github.com/tencentcloudstack/terraform-provider-tencentcloud v1.82.42"),
        read="2026-12-05",
    ),
    "alicloud": ProviderRelease(
        package="pulumi-alicloud", pin="4.0.0",
        terraform_provider="aliyun/terraform-provider-alicloud",
        terraform_version=READ_ELSEWHERE,
        source=("pulumi/pulumi-alicloud:provider/go.mod@v4.0.0 not readable: the stored snapshot's newest commit "
                "(9d2b1e47cc, 2026-08-14) is still module .../provider/v3 wrapping v1.285.0 and has no v4 tag. "
                "The installed 4.0.0 SDK's docstrings reach \"Available since v1.295.0\", so it wraps v1.295.0 or later. "
                "proxy.golang.org has no github.com/pulumi/pulumi-alicloud/provider/v4 (\"not available\", 2026-12-05), and "
                "the newest aliyun/terraform-provider-alicloud tag stored is v1.289.0, so provider-sourced alicloud rows "
                "cite v1.289.0 and say they were not re-read at the wrapped release"),
        read="2026-12-05",
    ),
}


def read_at(cloud: str) -> str:
    """What a row of `cloud` describes: the provider release and the day its pages were read."""
    p = PROVIDERS[cloud]
    return f"{p.package} {p.pin} ({p.terraform_provider} {p.terraform_version}); pages read {PAGES_READ}"

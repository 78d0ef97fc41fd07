"""What both clouds' managed data tiers (ha topology, docs/ha.md) share: generated passwords
and backup retention kept inside what the service accepts."""
from __future__ import annotations

import pulumi
import pulumi_random as random

# The only specials every managed service accepts that are also URL-unreserved (RFC 3986), so
# the password needs no escaping in DATABASE_URL / REDIS_URL. TencentDB for PostgreSQL wants all
# four kinds (lower, upper, digit, special); RDS and KVStore three of four (docs/cloud-rules.md).
PASSWORD_SPECIALS = "-_"


def managed_password(name: str, length: int, parent: pulumi.Resource) -> random.RandomPassword:
    return random.RandomPassword(
        name, length=length, special=True, override_special=PASSWORD_SPECIALS,
        min_upper=2, min_lower=2, min_numeric=2, min_special=2, opts=pulumi.ResourceOptions(parent=parent),
    )


def retention_within(days: int, accepted: tuple[int, int]) -> int:
    """The stack's backup retention, raised or lowered into the service's accepted (min, max)."""
    return min(max(days, accepted[0]), accepted[1])

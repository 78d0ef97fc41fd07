"""Settings-level cloud rules: what the cloud's API would refuse, said before anything exists.

Pure functions over plain values. Each returns a list of `(config_key, value, message)`
problems (empty when the values pass); messages name the allowed values and never echo a
secret. Every rule and its source is listed in docs/cloud-rules.md; the facts live in
components/cloud/catalog.py.
"""
from __future__ import annotations

import re

from components.cloud import catalog, fact_sources

Problem = tuple[str, object, str]

# Share of the VM's memory the app, PostgreSQL and Redis may take together (settings' budget).
MEMORY_BUDGET_SHARE = 0.8
_CATALOG = "components/cloud/catalog.py"


def instance_shape(cloud: str, instance_type: str) -> catalog.Shape | None:
    """vCPUs and memory of a known instance type, None when the catalog does not list it."""
    return catalog.INSTANCE_TYPES.get(cloud, {}).get(instance_type)


def derived_vm_memory_gb(cloud: str, instance_type: str) -> int | None:
    """vmMemoryGb as the instance type defines it, for stacks that leave it unset."""
    shape = instance_shape(cloud, instance_type)
    return shape.memory_gib if shape else None


def placement_rules(cloud: str, region: str, zone: str, secondary_zone: str | None = None) -> list[Problem]:
    """Zones must be zones of the region the cloud sells in (DescribeZones)."""
    zones = catalog.ZONES.get(cloud, {}).get(region)
    if zones is None:
        return []  # settings already refuse a region the program does not support
    out: list[Problem] = []
    for key, value in (("zone", zone), ("secondaryZone", secondary_zone)):
        # A zone of another region is settings' naming check's to report; this one is about
        # zones that look right but are not sold (sold out, never opened).
        if value is not None and value.startswith(region) and value not in zones:
            out.append((key, value, f"not a zone {cloud} sells in {region}; allowed: {', '.join(zones)} "
                        f"(if the cloud has opened a new zone, add it to ZONES in {_CATALOG})"))
    return out


def instance_rules(cloud: str, instance_type: str, image_id: str | None = None) -> list[Problem]:
    """The instance type and a pinned image id have the cloud's format."""
    out: list[Problem] = []
    fmt = catalog.INSTANCE_TYPE_FORMAT.get(cloud)
    if fmt and not re.match(fmt[0], instance_type):
        out.append(("instanceType", instance_type, f"not a {cloud} instance type name (e.g. {fmt[1]})"))
    img = catalog.IMAGE_ID_FORMAT.get(cloud)
    if image_id is not None and img and not re.match(img[0], image_id):
        out.append(("imageId", image_id, f"not a {cloud} image id (e.g. {img[1]})"))
    return out


def sizing_rules(
    cloud: str,
    instance_type: str,
    vm_memory_gb: int,
    app_cpus: float,
    app_memory_mb: int = 0,
    postgres_memory_mb: int = 0,
    redis_maxmemory_mb: int = 0,
    topology: str = "single",
) -> list[Problem]:
    """vmMemoryGb is the instance type's memory; appCpus fits its vCPUs; the memory budget
    fits the type's memory. An unknown type of the right format passes (sizing_notes says so)."""
    shape = instance_shape(cloud, instance_type)
    if shape is None:
        return []
    out: list[Problem] = []
    if vm_memory_gb != shape.memory_gib:
        out.append(("vmMemoryGb", vm_memory_gb, f"{instance_type} has {shape.memory_gib} GiB: set vmMemoryGb to "
                    f"{shape.memory_gib} or choose another instanceType"))
    if app_cpus > shape.vcpus:
        out.append(("appCpus", app_cpus, f"{instance_type} has {shape.vcpus} vCPUs: appCpus must be at most {shape.vcpus}"))
    # On ha, PostgreSQL and Redis are managed services: only the app runs on the host.
    used = app_memory_mb + (0 if topology == "ha" else postgres_memory_mb + redis_maxmemory_mb)
    budget = int(shape.memory_gib * 1024 * MEMORY_BUDGET_SHARE)
    if used > budget:
        key = "appMemoryMb" if topology == "ha" else "postgresMemoryMb"
        out.append((key, used, f"app, PostgreSQL and Redis memory ({used} MB) exceed {int(MEMORY_BUDGET_SHARE * 100)}% "
                    f"of {instance_type}'s {shape.memory_gib} GiB ({budget} MB); lower them or choose a larger instanceType"))
    return out


def sizing_notes(cloud: str, instance_type: str) -> list[str]:
    """What cannot be checked offline: a well-formed type the catalog does not list."""
    if instance_shape(cloud, instance_type) is not None:
        return []
    fmt = catalog.INSTANCE_TYPE_FORMAT.get(cloud)
    if fmt and re.match(fmt[0], instance_type):
        return [f"instanceType {instance_type} is not in {_CATALOG}: vmMemoryGb and appCpus are not checked against it "
                f"(add its vCPUs and memory to INSTANCE_TYPES)"]
    return []


# The day the API pages quoted by the constants below were read: dated, provider-independent facts.
RULES_READ_AT: str = fact_sources.PAGES_READ
# Tencent: RunInstances DataDisk.DiskSize "最小调整步长为10G" (https://cloud.tencent.com/document/api/213/15753#DataDisk).
TENCENT_DISK_STEP_GB = 10
# Tencent PostgreSQL CreateInstances: Storage "设置步长为10"; AdminName 1-16 of letters, digits, _,
# not postgres, not starting with a digit or pg_ (https://cloud.tencent.com/document/api/409/56107).
TENCENT_PG_ADMIN_RE = re.compile(r"^(?!pg_)(?![0-9])[A-Za-z0-9_]{1,16}\Z", re.IGNORECASE)
# Alibaba RDS CreateAccount (PostgreSQL on cloud disks): 2-63 of lower-case letters, digits, _,
# starting with a letter, ending with a letter or digit (https://help.aliyun.com/zh/rds/developer-reference/api-rds-2014-08-15-createaccount).
ALICLOUD_PG_ACCOUNT_RE = re.compile(r"^[a-z][a-z0-9_]{0,61}[a-z0-9]\Z")
# Alibaba RDS CreateDatabase DBName: 2-64 of lower-case letters, digits, _ and -, starting with
# a letter, ending with a letter or digit (https://help.aliyun.com/zh/rds/developer-reference/api-rds-2014-08-15-createdatabase).
ALICLOUD_DB_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}[a-z0-9]\Z")


def disk_rules(cloud: str, system_disk_size: int, data_disk_size: int) -> list[Problem]:
    if cloud != "tencentcloud":
        return []
    return [
        (key, size, f"Tencent Cloud sizes disks in steps of {TENCENT_DISK_STEP_GB} GB; use e.g. {size - size % 10 or 10}")
        for key, size in (("systemDiskSize", system_disk_size), ("dataDiskSize", data_disk_size))
        if size % TENCENT_DISK_STEP_GB
    ]


def managed_data_rules(cloud: str, topology: str, db_user: str, db_name: str, db_storage_gb: int) -> list[Problem]:
    """ha: names and sizes the managed PostgreSQL accepts (single runs PostgreSQL itself)."""
    if topology != "ha":
        return []
    out: list[Problem] = []
    if cloud == "tencentcloud":
        if not TENCENT_PG_ADMIN_RE.match(db_user) or db_user.lower() == "postgres":
            out.append(("dbUser", db_user, "TencentDB for PostgreSQL's admin: 1-16 letters, digits or _, not postgres, "
                        "not starting with a digit or pg_"))
        if db_storage_gb % 10:
            out.append(("dbStorageGb", db_storage_gb, "TencentDB for PostgreSQL storage is set in steps of 10 GB"))
    elif cloud == "alicloud":
        if not ALICLOUD_PG_ACCOUNT_RE.match(db_user) or db_user == "postgres":
            out.append(("dbUser", db_user, "RDS PostgreSQL account: 2-63 lower-case letters, digits or _, starting with a "
                        "letter and ending with a letter or digit, not postgres"))
        if not ALICLOUD_DB_NAME_RE.match(db_name):
            out.append(("dbName", db_name, "RDS database name: 2-64 lower-case letters, digits, _ or -, starting with a "
                        "letter and ending with a letter or digit"))
    return out


def cloud_rules(
    *,
    cloud: str,
    region: str,
    zone: str,
    secondary_zone: str | None,
    topology: str,
    instance_type: str,
    image_id: str | None,
    vm_memory_gb: int,
    app_cpus: float,
    app_memory_mb: int,
    postgres_memory_mb: int,
    redis_maxmemory_mb: int,
    system_disk_size: int,
    data_disk_size: int,
    db_user: str,
    db_name: str,
    db_storage_gb: int,
) -> list[Problem]:
    """Every rule above for one stack: the single call settings make on a cloud stack."""
    return [
        *placement_rules(cloud, region, zone, secondary_zone if topology == "ha" else None),
        *instance_rules(cloud, instance_type, image_id),
        *sizing_rules(cloud, instance_type, vm_memory_gb, app_cpus, app_memory_mb, postgres_memory_mb, redis_maxmemory_mb, topology),
        *disk_rules(cloud, system_disk_size, data_disk_size),
        *managed_data_rules(cloud, topology, db_user, db_name, db_storage_gb),
    ]

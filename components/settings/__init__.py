"""Stack settings: read once from Pulumi config, validated as a whole, then passed down typed.

Every problem is collected before anything is reported, so a user fixing a stack file sees
all of them at once, each naming the config key, the bad value and what is allowed.
Nothing here creates resources; `load()` runs before the first resource is registered.

One module per concern (placement, network, services, monitoring, backups, topology), each a
pydantic mixin of its fields and field rules plus its cross-field checks; `model.Settings`
combines them and `loader` validates a stack's config in one pass.
"""
from components.settings.backups import PROD_MIN_RETENTION_DAYS
from components.settings.base import PROJECT, Context
from components.settings.errors import _MISSING, MISSING, Problem, SettingsError
from components.settings.loader import _cross_checks, _problems_from, from_mapping, load, project_config
from components.settings.model import IMAGE_FIELDS, Settings
from components.settings.monitoring import LOGS_MIN_VM_GB
from components.settings.network import TlsSource
from components.settings.placement import (
    CLOUD_DEFAULTS,
    CLOUDS,
    DISK_TYPES,
    EXISTING_HOST,
    NO_MIRROR,
    REGIONS,
    TARGETS,
    Cloud,
    Environment,
    cloud_of_region,
    zone_example,
    zone_pattern,
)
from components.settings.secrets import SECRET_KEYS, Secrets, read_secrets
from components.settings.topology import Topology

__all__ = [
    "CLOUDS",
    "CLOUD_DEFAULTS",
    "DISK_TYPES",
    "EXISTING_HOST",
    "IMAGE_FIELDS",
    "LOGS_MIN_VM_GB",
    "MISSING",
    "NO_MIRROR",
    "PROD_MIN_RETENTION_DAYS",
    "PROJECT",
    "REGIONS",
    "SECRET_KEYS",
    "TARGETS",
    "_MISSING",
    "Cloud",
    "Context",
    "Environment",
    "Problem",
    "Secrets",
    "Settings",
    "SettingsError",
    "TlsSource",
    "Topology",
    "_cross_checks",
    "_problems_from",
    "cloud_of_region",
    "from_mapping",
    "load",
    "project_config",
    "read_secrets",
    "zone_example",
    "zone_pattern",
]

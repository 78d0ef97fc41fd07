"""The typed settings: one model made of each concern's fields, plus values derived from several."""
from __future__ import annotations

from pydantic.alias_generators import to_camel

from components.settings import monitoring, services
from components.settings.backups import BackupFields
from components.settings.costs import CostFields
from components.settings.monitoring import MonitoringFields
from components.settings.network import NetworkFields
from components.settings.placement import PlacementFields
from components.settings.services import ServicesFields
from components.settings.topology import TopologyFields

IMAGE_FIELDS = services.IMAGE_FIELDS + monitoring.IMAGE_FIELDS


class Settings(PlacementFields, NetworkFields, TopologyFields, ServicesFields, MonitoringFields, BackupFields, CostFields):
    """Everything a stack can set, typed. Field names map to camelCase config keys."""

    def images(self) -> dict[str, str]:
        """Config key -> image reference, for every container image the stack runs."""
        return {to_camel(name): getattr(self, name) for name in IMAGE_FIELDS}

    @property
    def docker_root(self) -> str:
        """Docker's data root on the host: on a cloud VM the data disk (cloud-init's daemon.json)."""
        if self.on_existing_host:
            return self.docker_root_dir or "/var/lib/docker"
        return f"{self.data_mount_path}/docker"

    @property
    def site_names(self) -> list[str]:
        names = [self.domain, self.www_domain]
        if self.grafana_public:
            names.append(f"grafana.{self.domain}")
        return names

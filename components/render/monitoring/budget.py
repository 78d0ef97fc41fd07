"""Memory limits (MiB) of the monitoring containers, sized to the VM.

The monitoring stack shares one VM with the app, PostgreSQL and Redis, so it gets a bounded
share: MAX_SHARE of the VM at most. Prometheus dominates (head block ~ active series), then
Grafana, Loki and cAdvisor; the exporters are small Go binaries.
"""
from __future__ import annotations

from .spec import MonitoringSpec

MAX_SHARE = 0.25

# Tiers keyed by the smallest VM size (MiB) they apply to. No limit goes below the image's
# memory floor (components/runtime/image_contracts.py, checked per container): Grafana's 512
# is its documented minimum for the version the stacks run (10.1 on; 255 MB was 9.x's). On the
# smallest tier that costs Prometheus (its floor, 256) and cAdvisor (its floor, 64) to stay in
# MAX_SHARE. Loki's 128 and Promtail's 40 on the smallest tier are never used (logs need an 8 GB
# VM, settings.LOGS_MIN_VM_GB): a forced logsEnabled there exceeds the share and is refused, since
# even every floor together (1112 MiB) is more than a quarter of 4 GB.
_TIERS: tuple[tuple[int, dict[str, int]], ...] = (
    (16384, {"prometheus": 1024, "grafana": 512, "alertmanager": 64, "node-exporter": 48, "cadvisor": 192,
             "postgres-exporter": 48, "redis-exporter": 32, "nginx-exporter": 24, "blackbox-exporter": 32,
             "dingtalk-bridge": 32, "loki": 768, "promtail": 128}),
    (8192, {"prometheus": 512, "grafana": 512, "alertmanager": 48, "node-exporter": 32, "cadvisor": 128,
            "postgres-exporter": 32, "redis-exporter": 32, "nginx-exporter": 16, "blackbox-exporter": 32,
            "dingtalk-bridge": 32, "loki": 384, "promtail": 96}),
    (0, {"prometheus": 256, "grafana": 512, "alertmanager": 32, "node-exporter": 32, "cadvisor": 64,
         "postgres-exporter": 32, "redis-exporter": 24, "nginx-exporter": 16, "blackbox-exporter": 24,
         "dingtalk-bridge": 24, "loki": 128, "promtail": 40}),
)
LOG_CONTAINERS = ("loki", "promtail")


def default_logs_enabled(vm_memory_mib: int) -> bool:
    """Loki + promtail only where they fit next to everything else (8 GB and up)."""
    return vm_memory_mib >= 8192


def tier_limits(vm_memory_mib: int) -> dict[str, int]:
    """Every container's limit on a VM of this size, whether or not a spec runs it (or fits it)."""
    return dict(next(limits for floor, limits in _TIERS if vm_memory_mib >= floor))


def memory_budget(spec: MonitoringSpec) -> dict[str, int]:
    """Container name -> memory limit in MiB, only for containers this spec runs."""
    budget = tier_limits(spec.vm_memory_mib)
    if not spec.logs_enabled:
        for name in LOG_CONTAINERS:
            budget.pop(name)
    if spec.receivers.dingtalk is None:
        budget.pop("dingtalk-bridge")
    total = sum(budget.values())
    if total > spec.vm_memory_mib * MAX_SHARE:
        raise ValueError(
            f"monitoring needs {total} MiB, more than {MAX_SHARE:.0%} of this {spec.vm_memory_mib} MiB VM: "
            "set logsEnabled=false or choose a larger VM"
        )
    return budget

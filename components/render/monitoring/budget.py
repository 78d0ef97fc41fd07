"""Memory limits (MiB) of the monitoring containers, sized to the VM.

The monitoring stack shares one VM with the app, PostgreSQL and Redis, so it gets a bounded
share: MAX_SHARE of the VM at most. Prometheus dominates (head block ~ active series), then
Grafana, Loki and cAdvisor; the exporters are small Go binaries.
"""
from __future__ import annotations

from .spec import MonitoringSpec

MAX_SHARE = 0.25

# Tiers keyed by the smallest VM size (MiB) they apply to. No limit goes below the image's
# memory floor (components/runtime/image_contracts.py, checked per container): Grafana's 256
# is its documented minimum. Loki's 128 on the smallest tier is never used by default (logs
# need an 8 GB VM, settings.LOGS_MIN_VM_GB; so is Promtail's 40) and keeps a forced logsEnabled
# within the share.
_TIERS: tuple[tuple[int, dict[str, int]], ...] = (
    (16384, {"prometheus": 1024, "grafana": 256, "alertmanager": 64, "node-exporter": 48, "cadvisor": 192,
             "postgres-exporter": 48, "redis-exporter": 32, "nginx-exporter": 24, "blackbox-exporter": 32,
             "dingtalk-bridge": 32, "loki": 768, "promtail": 128}),
    (8192, {"prometheus": 512, "grafana": 256, "alertmanager": 48, "node-exporter": 32, "cadvisor": 128,
            "postgres-exporter": 32, "redis-exporter": 32, "nginx-exporter": 16, "blackbox-exporter": 32,
            "dingtalk-bridge": 32, "loki": 384, "promtail": 96}),
    (0, {"prometheus": 320, "grafana": 256, "alertmanager": 32, "node-exporter": 32, "cadvisor": 96,
         "postgres-exporter": 32, "redis-exporter": 24, "nginx-exporter": 16, "blackbox-exporter": 24,
         "dingtalk-bridge": 24, "loki": 128, "promtail": 40}),
)
LOG_CONTAINERS = ("loki", "promtail")


def default_logs_enabled(vm_memory_mib: int) -> bool:
    """Loki + promtail only where they fit next to everything else (8 GB and up)."""
    return vm_memory_mib >= 8192


def memory_budget(spec: MonitoringSpec) -> dict[str, int]:
    """Container name -> memory limit in MiB, only for containers this spec runs."""
    tier = next(limits for floor, limits in _TIERS if spec.vm_memory_mib >= floor)
    budget = dict(tier)
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

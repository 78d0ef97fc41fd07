"""CPU limits (Docker `--cpus`, in cores) of the containers on the VM, sized to its vCPUs.

A CPU limit is a ceiling (the CFS quota), not a reservation: the limits may add up to more than
the VM, and a container below its limit loses nothing. What they bound is one container running
away (a Prometheus query, a Grafana dashboard, a stuck exporter) and starving PostgreSQL, Redis,
nginx and the app on the same VM. So each is a share of the VM, largest for the services the site
needs and smallest for the exporters, never the whole VM (that would be no limit) and never above
it (Docker refuses a --cpus above the host's CPU count: "range of CPUs is from 0.01 to N"). The
app's limit is its own key, appCpus.

Shares, like the memory tiers in render/monitoring/budget.py, are judgement, not measurement: an
exporter's scrape is tens of milliseconds of CPU, Prometheus's rule evaluation and compaction and
Grafana's first-start migrations are the heaviest monitoring work.
"""
from __future__ import annotations

from components.runtime.provider_behaviour import read_back_cpus

# Fraction of the VM's vCPUs each container may use.
SHARES: dict[str, float] = {
    "postgres": 0.75, "redis": 0.5, "nginx": 0.5,
    "prometheus": 0.5, "grafana": 0.5, "loki": 0.5,
    "alertmanager": 0.25, "cadvisor": 0.25, "promtail": 0.25,
    "node-exporter": 0.125, "postgres-exporter": 0.125, "redis-exporter": 0.125, "nginx-exporter": 0.125,
    "blackbox-exporter": 0.125, "dingtalk-bridge": 0.125,
}
# The least any container gets, so a 1-vCPU host still starts Grafana within its health check's start period.
FLOOR = 0.1


def cpu_limit(role: str, vm_cpus: int) -> float:
    """Cores for `role` on a VM of `vm_cpus` vCPUs: its share, at least FLOOR, below the whole VM."""
    if vm_cpus < 1:
        raise ValueError(f"vm_cpus must be at least 1, not {vm_cpus}")
    share = SHARES[role] * vm_cpus
    # At most the VM minus a tenth of a core, so a runaway container leaves the others something.
    limit = round(min(max(share, FLOOR), vm_cpus - 0.1 if vm_cpus > 1 else 0.9), 2)
    # `cpus` is ForceNew and the provider reads NanoCpus back in its own decimal form
    # (read_back_cpus: 10, 20, 30 ... come back as "10."): a value spelled otherwise would differ
    # on every refresh and replace the container.
    if read_back_cpus(str(limit)) != str(limit):
        limit -= 0.5
    return limit


def cpu_budget(vm_cpus: int, roles: tuple[str, ...] | None = None) -> dict[str, float]:
    return {role: cpu_limit(role, vm_cpus) for role in (roles or tuple(SHARES))}

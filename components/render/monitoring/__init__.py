"""Monitoring configuration renderers (Prometheus, Alertmanager, blackbox, Grafana)."""

"""The ingress policy (components/firewall.py) against where its numbers come from.

Web and SSH are the IANA service ports (/etc/services, the `netbase` table: http 80, https 443,
ssh 22); node-exporter's port is the one the monitoring runtime publishes and Prometheus scrapes.
"""
from __future__ import annotations

import socket

from components import firewall as fw
from components.runtime import monitoring

ADMIN = ["203.0.113.0/24", "198.51.100.7/32"]
VPC = "10.20.0.0/16"


def _rules(rules: list[fw.IngressRule]) -> list[tuple[int, str]]:
    return [(r.port, r.cidr) for r in rules]


def test_policy_ports_are_the_service_ports():
    assert fw.WEB_PORTS == (socket.getservbyname("http", "tcp"), socket.getservbyname("https", "tcp"))
    assert fw.SSH_PORT == socket.getservbyname("ssh", "tcp")
    assert fw.NODE_EXPORTER_PORT == monitoring.NODE_EXPORTER_PORT


def test_policy_opens_web_to_the_world_and_ssh_to_each_admin_network_only():
    assert _rules(fw.ingress_policy(ADMIN)) == [(80, fw.WORLD), (443, fw.WORLD), (22, ADMIN[0]), (22, ADMIN[1])]
    assert _rules(fw.ingress_policy([])) == [(80, fw.WORLD), (443, fw.WORLD)]
    assert fw.WORLD == "0.0.0.0/0"


def test_ha_hosts_also_let_the_monitoring_host_scrape_node_exporter_from_the_vpc():
    single = fw.host_ingress(ADMIN, VPC, ha=False)
    assert single == fw.ingress_policy(ADMIN)
    ha = fw.host_ingress(ADMIN, VPC, ha=True)
    assert ha[:-1] == single
    assert (ha[-1].port, ha[-1].cidr) == (monitoring.NODE_EXPORTER_PORT, VPC)

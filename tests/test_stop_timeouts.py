"""Every container stops cleanly, on `docker stop` and on a host reboot (issue 14).

The figures and their sources are in components/runtime/stopping.py: a reboot gives dockerd
systemd's 90 s, dockerd gives each container its own stop timeout plus 5 s.
"""
from __future__ import annotations

import shlex

from components.render.release import docker_run_args, render_release_conf
from components.runtime import stopping
from components.settings import from_mapping
from tests.test_release_render import LAYOUT
from tests.test_settings import valid

CONTAINER = "docker:index/container:Container"


def containers(plan) -> dict[str, dict]:
    return {c.inputs["name"]: c.inputs for c in plan.of_type(CONTAINER)}


def test_no_container_needs_longer_to_stop_than_a_reboot_allows(plan):
    slow = {n: i.get("stopTimeout", stopping.DOCKER_DEFAULT_S) for n, i in containers(plan).items()
            if i.get("stopTimeout", stopping.DOCKER_DEFAULT_S) > stopping.CEILING_S}
    assert slow == {}


def test_redis_has_time_for_its_final_save(plan):
    redis = containers(plan)["xqfc-redis"]
    maxmemory = int(plan.config["xqfc:redisMaxmemoryMb"])
    assert redis.get("stopTimeout") == stopping.redis_stop_timeout(maxmemory)
    assert redis["stopTimeout"] > stopping.DOCKER_DEFAULT_S


def test_postgres_and_nginx_stop_by_their_own_graceful_signal(plan):
    c = containers(plan)
    assert (c["xqfc-postgres"].get("stopSignal"), c["xqfc-postgres"].get("stopTimeout")) == ("SIGINT", stopping.POSTGRES_S)
    assert (c["xqfc-nginx"].get("stopSignal"), c["xqfc-nginx"].get("stopTimeout")) == ("SIGQUIT", stopping.NGINX_S)


def test_redis_stop_timeout_grows_with_maxmemory_up_to_the_ceiling():
    assert stopping.redis_stop_timeout(100) == 11
    assert stopping.redis_stop_timeout(101) == 12
    assert stopping.redis_stop_timeout(7500) == stopping.CEILING_S
    assert stopping.redis_stop_timeout(65536) == stopping.CEILING_S


def test_the_app_gets_the_releases_stop_timeout_on_a_reboot_too():
    settings = from_mapping(valid(), "dev")
    args = docker_run_args(settings, {"max-size": "1m"})
    assert args[args.index("--stop-timeout") + 1] == str(stopping.APP_S)
    conf = dict(line.split("=", 1) for line in render_release_conf(settings, LAYOUT).splitlines())
    assert shlex.split(conf["STOP_TIMEOUT"]) == [str(stopping.APP_S)]

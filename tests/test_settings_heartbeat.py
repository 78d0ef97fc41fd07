"""The secret alertHeartbeatUrl (dead man's switch) is checked before anything is created,
and never echoed: the URL carries the check's token."""
from __future__ import annotations

import pytest

from components.settings import SettingsError, from_mapping
from tests.test_settings import valid

KEY = "alertHeartbeatUrl"


def load(url: str, env: str = "dev"):
    return from_mapping({**valid(env), KEY: url}, env, secret_keys={KEY})


@pytest.mark.parametrize("url", [
    "https://hc-ping.com/test-check",
    "https://cronitor.link/p/test-key/xqfc-watchdog",
    "https://heartbeat.example.com/ping",
    # A relay on the host or in the VPC: the token never crosses the internet in clear.
    "http://172.30.3.1:8099/ping/test-check",
    "http://10.20.1.5/ping",
    "http://127.0.0.1:9000/ping",
])
def test_accepted(url):
    load(url, "dev")
    load(url, "prod")


@pytest.mark.parametrize("url", [
    "http://hc-ping.com/test-check",       # the token in clear over the internet
    "http://9.9.9.9/ping",                 # a public address without TLS
    "hc-ping.com/test-check",              # no scheme
    "ftp://hc-ping.com/x",
    "https:///ping",                        # no host
    "https://hc-ping.com/a b",
])
def test_refused_naming_the_key_without_the_value(url):
    with pytest.raises(SettingsError) as info:
        load(url)
    text = str(info.value)
    assert KEY in text and "https://" in text
    assert url not in text


def test_set_in_plain_text_is_refused():
    with pytest.raises(SettingsError) as info:
        from_mapping({**valid(), KEY: "https://hc-ping.com/test-check"}, "dev", secret_keys=set())
    assert f"pulumi config set --secret {KEY}" in str(info.value)

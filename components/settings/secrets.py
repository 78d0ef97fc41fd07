"""Secret settings: not part of the typed model. They stay Pulumi secrets (Outputs) from config to
resource, and read_secrets() hands them out. A secret key set in plain text is refused, so a
password can't sit readable in a stack file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.settings.base import PROJECT

SECRET_KEYS: dict[str, str] = {
    "registryPassword": "Password of registryServer for pulling private images.",
    "alertSmtpPassword": "Password of alertSmtpUser on alertSmtpHost.",
    "alertWecomApiSecret": "WeCom application secret for alert messages.",
    "alertDingtalkWebhook": "DingTalk robot webhook URL (contains its access token).",
    "alertDingtalkSecret": "DingTalk robot signing secret (加签), if the robot uses one.",
    # Dead man's switch (docs/monitoring.md): the URL carries the check's token.
    "alertHeartbeatUrl": "Heartbeat (dead man's switch) URL the always-firing Watchdog alert is posted to, e.g. a healthchecks.io ping URL.",
    "appSecretEnv": "Object of extra secret environment variables for the app (e.g. SMS or map API keys).",
    "s3AccessKeyId": "cloud ssh: access key id for s3Bucket (the backup job's; limit it to that bucket).",
    "s3SecretAccessKey": "cloud ssh: secret access key for s3Bucket.",
    "tlsCertificatePem": "cloud ssh with tlsSource provided: the site certificate, leaf then chain (PEM).",
    "tlsPrivateKeyPem": "cloud ssh with tlsSource provided: the certificate's private key (PEM).",
}


@dataclass(frozen=True)
class Secrets:
    registry_password: Any  # pulumi.Output[str] | None
    app_secret_env: Any  # pulumi.Output[dict[str, str]]
    alert_smtp_password: Any = None
    alert_wecom_api_secret: Any = None
    alert_dingtalk_webhook: Any = None
    alert_dingtalk_secret: Any = None
    alert_heartbeat_url: Any = None


def read_secrets() -> Secrets:
    import pulumi

    config = pulumi.Config(PROJECT)
    return Secrets(
        registry_password=config.get_secret("registryPassword"),
        app_secret_env=config.get_secret_object("appSecretEnv") or pulumi.Output.secret({}),
        alert_smtp_password=config.get_secret("alertSmtpPassword"),
        alert_wecom_api_secret=config.get_secret("alertWecomApiSecret"),
        alert_dingtalk_webhook=config.get_secret("alertDingtalkWebhook"),
        alert_dingtalk_secret=config.get_secret("alertDingtalkSecret"),
        alert_heartbeat_url=config.get_secret("alertHeartbeatUrl"),
    )

"""Entry point of the Pulumi program: settings, platform, outputs. Nothing else."""
import pulumi

from components import settings as settings_module
from components.outputs import export_contract
from components.platform import Platform

try:
    settings = settings_module.load()
except settings_module.SettingsError as err:
    # RunError prints the message alone: a config mistake is not a program crash.
    raise pulumi.RunError(str(err)) from None

platform = Platform(f"xqfc-{settings.environment}", settings, settings_module.read_secrets())
export_contract(platform.contract_values())

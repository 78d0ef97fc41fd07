"""Cloud adapters. The only package that imports a cloud SDK; each adapter returns a neutral
`Foundation`, and `build_foundation` is the one place that looks at `settings.cloud`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pulumi

if TYPE_CHECKING:  # settings import components.cloud.rules: no import cycle at run time
    from components.foundation import Foundation
    from components.settings import Settings


def build_foundation(name: str, settings: Settings, user_data: Callable[[str], str], opts: pulumi.ResourceOptions) -> Foundation:
    """`user_data(hostname)`: the first-boot user data of the host with that OS hostname."""
    if settings.cloud == "tencentcloud":
        from components.cloud.tencent import TencentFoundation

        return TencentFoundation(name, settings, user_data, opts).foundation
    if settings.cloud == "alicloud":
        from components.cloud.alicloud import AlicloudFoundation

        return AlicloudFoundation(name, settings, user_data, opts).foundation
    if settings.cloud == "ssh":
        from components.cloud.ssh import ExistingHostFoundation

        # An existing host boots no user data of ours (Foundation.user_data stays None).
        return ExistingHostFoundation(name, settings, opts).foundation
    raise ValueError(f"unsupported cloud {settings.cloud!r}")  # settings already refuse it

"""The VM's update and reboot policy, as apt configuration text (docs/releases.md, "Host
updates and reboots").

  * unattended-upgrades installs from the Ubuntu release and -security pockets (and ESM's
    security pockets where attached) only: never -updates, never Docker's repository. The list
    is cleared first (`#clear`), because a list in a later apt.conf.d file appends to, not
    replaces, the one in 50unattended-upgrades. The origins are the ones Ubuntu's own default
    file enables: the release pocket, -security and ESM, with -updates, -proposed and -backports
    commented out (mvo5/unattended-upgrades data/50unattended-upgrades.Ubuntu@08e31769; the
    ESMApps/ESM infra-security names are those of the file Ubuntu 24.04 ships). Reboot keys and
    their defaults ("Automatic-Reboot-Time" default "now") are documented in the same file.
  * The Docker packages are also `apt-mark hold` (components/render/host_packages.py): held
    packages are never upgraded by unattended-upgrades or `apt-get upgrade`.
  * A kernel (or libc) update takes effect by an automatic reboot at a fixed time of day,
    chosen clear of the backup timers, and not while someone is logged in (WithUsers "false":
    an operator in the middle of a restore is not cut off; the reboot then waits for the next
    day's run). The reboot waits for the next occurrence of that time (unattended-upgrades runs
    `shutdown -r HH:MM`), in the VM's timezone, the same clock the systemd timers use.

Pure: no Pulumi. Constants here stand in for settings (components/settings.py is not ours to
change in this piece); each stack's schedules are checked against them in the tests.
"""
from __future__ import annotations

import re

# One reboot time per host of a stack, in host order: the ha topology's two app hosts never
# reboot together, so the load balancer always has one healthy backend. Both are clear of the
# stacks' timers (checked per stack in tests/test_cloud_init.py): backups daily at 00:00, every
# 6 h (prod: 00, 06, 12, 18) or 12 h, each + up to 5 min; Redis snapshot 03:30; restore drill
# Sunday 04:00, given JOB_ALLOWANCE_MIN to finish. unattended-upgrades itself runs from
# Ubuntu's apt-daily-upgrade.timer (06:00 + up to 60 min), so a kernel installed that morning
# reboots at the next day's window.
REBOOT_TIMES: tuple[str, ...] = ("05:20", "05:40")
# How long a backup job may still be running when a reboot would cut it: a timer that starts
# within this many minutes before a reboot time collides with it.
JOB_ALLOWANCE_MIN = 60

ALLOWED_ORIGINS = (
    "${distro_id}:${distro_codename}",
    "${distro_id}:${distro_codename}-security",
    "${distro_id}ESMApps:${distro_codename}-apps-security",
    "${distro_id}ESM:${distro_codename}-infra-security",
)
CONFIG_PATH = "/etc/apt/apt.conf.d/52xqfc-unattended-upgrades"

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")


def reboot_time(host_index: int) -> str:
    """The reboot time of the stack's host number `host_index` (0 = first)."""
    return REBOOT_TIMES[host_index % len(REBOOT_TIMES)]


def render_unattended_upgrades(reboot_at: str) -> str:
    if not _TIME.match(reboot_at):
        raise ValueError(f"reboot time {reboot_at!r} is not HH:MM (24 h)")
    origins = "\n".join(f'    "{o}";' for o in ALLOWED_ORIGINS)
    return (
        "// xqfc: security updates only; kernel updates by a reboot at a fixed time.\n"
        "#clear Unattended-Upgrade::Allowed-Origins;\n"
        "#clear Unattended-Upgrade::Origins-Pattern;\n"
        f"Unattended-Upgrade::Allowed-Origins {{\n{origins}\n}};\n"
        'Unattended-Upgrade::Automatic-Reboot "true";\n'
        'Unattended-Upgrade::Automatic-Reboot-WithUsers "false";\n'
        f'Unattended-Upgrade::Automatic-Reboot-Time "{reboot_at}";\n'
        'Unattended-Upgrade::Remove-Unused-Kernel-Packages "true";\n'
    )


def minutes_of_day(hhmm: str) -> int:
    h, m = hhmm.split(":")[:2]
    return int(h) * 60 + int(m)

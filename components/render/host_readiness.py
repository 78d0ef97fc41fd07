"""The readiness gate every host passes before Docker is used on it, as shell text.

A cloud VM is ready when cloud-init's bootstrap has written its marker. An existing host
(cloud ssh) has no bootstrap of ours: the gate checks what the platform relies on and names
everything missing at once, then creates the folders cloud-init would have made.
"""
from __future__ import annotations

import shlex

from components.render.cloud_init import CONFIG_ROOT, READY_MARKER

# The host's static busybox runs the health checks of the images that have no HTTP client
# (components/runtime/health.py HOST_BUSYBOX, bound into them read-only). A dynamically linked
# one would need the host's libc inside a FROM-scratch container: it must be static. Static means
# no PT_INTERP (type 3) program header (ELF spec, "Program Header"; elf(5)); python3 reads them
# because `file` is not on a minimal Ubuntu and `ldd` runs the loader on the binary.
HOST_BUSYBOX = "/bin/busybox"
BUSYBOX_PACKAGE = "busybox-static"
_ELF_STATIC = (
    "import struct,sys\n"
    "f=open(sys.argv[1],\"rb\");h=f.read(64)\n"
    "if h[:4]!=b\"\\x7fELF\":sys.exit(2)\n"
    "e=\"<\" if h[5]==1 else \">\"\n"
    "off,=struct.unpack(e+(\"Q\" if h[4]==2 else \"I\"),h[32:40] if h[4]==2 else h[28:32])\n"
    "size,num=struct.unpack(e+\"HH\",h[54:58] if h[4]==2 else h[42:46])\n"
    "for i in range(num):\n"
    " f.seek(off+i*size)\n"
    " if struct.unpack(e+\"I\",f.read(4))[0]==3:sys.exit(1)\n"
)
BUSYBOX_PROBLEM = (f"{HOST_BUSYBOX} must be a statically linked busybox (it runs the health checks of images with "
                   f"no HTTP client): apt-get install {BUSYBOX_PACKAGE}")


def static_busybox(path: str = HOST_BUSYBOX) -> str:
    """A shell test: true when `path` (the host's busybox) is an executable, statically linked ELF file."""
    return f"{{ test -x {shlex.quote(path)} && python3 -c {shlex.quote(_ELF_STATIC)} {shlex.quote(path)}; }}"


def cloud_init_ready() -> str:
    # cloud-init may report "degraded" for harmless warnings; the marker is what counts.
    return (
        "cloud-init status --wait >/dev/null 2>&1 || true; "
        f"test -f {READY_MARKER} || {{ echo 'bootstrap did not finish: see /var/log/cloud-init-output.log' >&2; exit 1; }}; "
        f"{static_busybox()} || {{ echo {shlex.quote(BUSYBOX_PROBLEM)} >&2; exit 1; }}; "
        "docker info --format '{{.ServerVersion}}'"
    )


def with_folders(check: str, folders: tuple[str, ...]) -> str:
    """The gate, then the root-owned host folders containers bind-mount that no file write makes
    (node-exporter's textfile folder, nginx's static folder). Made here, before any container:
    a missing bind-mount source is created by dockerd as root at container start, and the
    engine starts every step whose dependencies are done at once (issue 19)."""
    if not folders:
        return check
    return f"{{ {check.rstrip()}\n}} && sudo install -d -m 0755 {' '.join(shlex.quote(f) for f in folders)}"


def existing_host_ready(deploy_user: str, data_mount_path: str, docker_root: str) -> str:
    """Checks an existing host and prepares its folders; prints the Docker version like the VM gate."""
    user, data, root = shlex.quote(deploy_user), shlex.quote(data_mount_path), shlex.quote(docker_root)
    return f"""set -u
missing=""
need() {{ missing="$missing
  - $1"; }}
if ! info=$(docker info --format '{{{{.ServerVersion}}}} {{{{.DockerRootDir}}}}' 2>/dev/null); then
  need "{deploy_user} cannot reach Docker: install Docker Engine and add {deploy_user} to the docker group"
elif [ "${{info#* }}" != {root} ]; then
  need "Docker's data root is ${{info#* }}, but dockerRootDir is {docker_root}: set xqfc:dockerRootDir to it"
fi
sudo -n true 2>/dev/null || need "{deploy_user} needs passwordless sudo (files owned by container users, backup timers)"
case $(findmnt -no PROPAGATION / 2>/dev/null) in
  private|"") need "/ is a private mount: node-exporter mounts it rslave, which needs it shared (systemd's default): mount --make-rshared /" ;;
esac
command -v systemctl >/dev/null 2>&1 || need "systemd (systemctl) runs the backup timers"
command -v zstd >/dev/null 2>&1 || need "zstd compresses backups: apt-get install zstd"
python3 -c 'import boto3' 2>/dev/null || need "the backup tool needs python3 with boto3: apt-get install python3-boto3"
{static_busybox()} 2>/dev/null || need {shlex.quote(BUSYBOX_PROBLEM)}
if [ -n "$missing" ]; then
  echo "this host is not ready for the platform:$missing" >&2
  exit 1
fi
set -e
sudo install -d -o {user} -g "$(id -g {user})" -m 0750 {CONFIG_ROOT}
sudo install -d -m 0755 {data} {data}/static
echo "${{info% *}}"
"""

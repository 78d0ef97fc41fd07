"""A fake `docker` CLI for driving scripts/release.sh without Docker.

Implements just the subcommands the release script uses, with the same argument shapes,
and keeps its state in $FAKE_DOCKER_DIR:
  run --rm ... IMAGE CMD...   a migration: fails when the image tag contains "bad-migration"
  run -d --name N ... IMAGE   starts standin_app.py on a free 127.0.0.1 port; its /health
                              answers 500 when the image tag contains "unhealthy"; a tag
                              containing "crash" exits at start with an error in its log
  inspect -f FMT N            "true"/"false" for .State.Running, "127.0.0.1:<port>" for the
                              address format (which must name the edge network), else an id
  pull IMAGE                  fails when the tag contains "missing"
  image inspect IMAGE         the image is on the host unless its tag contains "missing"
  stop / rm [-f] / logs / network connect
Every call is appended to calls.jsonl so tests can check what the script asked for.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STATE = Path(os.environ["FAKE_DOCKER_DIR"])
CONTAINERS = STATE / "containers"
STANDIN = Path(__file__).with_name("standin_app.py")

# docker run options that take a value (the subset the release script passes).
VALUE_OPTS = {"--name", "--network", "--env-file", "--label", "--ip", "--restart",
              "--network-alias", "--memory", "--memory-swap", "--cpus", "--log-opt", "--log-driver",
              "--security-opt", "--cap-drop", "--tmpfs", "--user", "-e", "-v"}


def fail(msg: str, code: int = 1) -> None:
    print(f"Error: {msg}", file=sys.stderr)
    sys.exit(code)


def record(name: str) -> dict | None:
    path = CONTAINERS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def terminate(pid: int, sig: int, timeout: float) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def parse_run(args: list[str]) -> tuple[dict, list[str]]:
    opts: dict = {"flags": set(), "labels": [], "networks": []}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        opt = args[i]
        if opt in VALUE_OPTS:
            value = args[i + 1]
            if opt == "--label":
                opts["labels"].append(value)
            elif opt == "--network":
                opts["networks"].append(value)
            else:
                opts[opt] = value
            i += 2
        else:
            opts["flags"].add(opt)
            i += 1
    return opts, args[i:]


def cmd_run(args: list[str]) -> None:
    opts, rest = parse_run(args)
    if not rest:
        fail("no image")
    image, command = rest[0], rest[1:]
    tag = image.rsplit(":", 1)[-1]
    if "--rm" in opts["flags"] and "-d" not in opts["flags"]:
        with open(STATE / "migrations.log", "a") as fh:
            fh.write(json.dumps({"image": image, "command": command,
                                 "networks": opts["networks"]}) + "\n")
        if "bad-migration" in tag:
            print("alembic: relation already exists", file=sys.stderr)
            sys.exit(1)
        return
    name = opts.get("--name") or fail("fake docker needs --name")
    if record(name):
        fail(f'Conflict. The container name "/{name}" is already in use', 125)
    if "crash" in tag:
        # Like a real crash at start: `run -d` succeeds, the process is gone, its log says why,
        # and (as Docker can) an endpoint of it stays behind on the network.
        (STATE / f"{name}.log").write_text("Traceback (most recent call last):\nImportError: deliberately broken at start\n")
        dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
        dead.wait()
        CONTAINERS.mkdir(exist_ok=True)
        (CONTAINERS / f"{name}.json").write_text(json.dumps({
            "name": name, "image": image, "pid": dead.pid, "port": 0, "networks": opts["networks"], "labels": opts["labels"],
        }))
        (STATE / "stale-endpoints").mkdir(exist_ok=True)
        (STATE / "stale-endpoints" / name).touch()
        print(f"fake{dead.pid:060d}")
        return
    if (STATE / "stale-endpoints" / name).exists():
        fail(f"endpoint with name {name} already exists in network {opts['networks'][0]}", 125)
    port_file = STATE / f"{name}.port"
    port_file.unlink(missing_ok=True)
    with open(STATE / f"{name}.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(STANDIN), "--version", tag,
             "--health-status", "500" if "unhealthy" in tag else "200",
             "--port-file", str(port_file)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    deadline = time.monotonic() + 10
    while not port_file.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            fail(f"stand-in for {name} did not start")
        time.sleep(0.01)
    CONTAINERS.mkdir(exist_ok=True)
    (CONTAINERS / f"{name}.json").write_text(json.dumps({
        "name": name, "image": image, "pid": proc.pid, "port": int(port_file.read_text()),
        "networks": opts["networks"], "labels": opts["labels"],
    }))
    print(f"fake{proc.pid:060d}")


def cmd_inspect(args: list[str]) -> None:
    fmt = args[args.index("-f") + 1] if "-f" in args else "{{json .}}"
    name = args[-1]
    rec = record(name)
    if rec is None:
        fail(f"No such object: {name}")
    if ".State.Running" in fmt:
        running = "true" if alive(rec["pid"]) else "false"
        print(f"{running} 0" if ".RestartCount" in fmt else running)
    elif "IPAddress" in fmt:
        # The real format yields "<ip on that network>:<APP_PORT>"; only the edge network
        # the container was started on has an address.
        if not any(f'"{net}"' in fmt for net in rec["networks"]):
            print(":" + fmt.rsplit(":", 1)[-1])
        else:
            print(f"127.0.0.1:{rec['port']}")
    else:
        print(f"fake{rec['pid']:060d}")


def cmd_stop(args: list[str]) -> None:
    name = args[-1]
    rec = record(name) or fail(f"No such container: {name}")
    timeout = float(args[args.index("-t") + 1]) if "-t" in args else 10
    terminate(rec["pid"], signal.SIGTERM, timeout)


def cmd_rm(args: list[str]) -> None:
    name = args[-1]
    rec = record(name) or fail(f"No such container: {name}")
    if alive(rec["pid"]):
        if "-f" not in args:
            fail(f"cannot remove running container {name}")
        terminate(rec["pid"], signal.SIGKILL, 5)
    (CONTAINERS / f"{name}.json").unlink()


def cmd_pull(args: list[str]) -> None:
    if "missing" in args[-1].rsplit(":", 1)[-1]:
        fail(f"manifest for {args[-1]} not found", 1)


def cmd_image(args: list[str]) -> None:
    if args[:1] != ["inspect"]:
        fail(f"unsupported: image {' '.join(args)}")
    if "missing" in args[-1].rsplit(":", 1)[-1]:
        fail(f"No such image: {args[-1]}", 1)
    print("[{}]")


def cmd_logs(args: list[str]) -> None:
    path = STATE / f"{args[-1]}.log"
    if path.exists():
        sys.stdout.write(path.read_text())


def cmd_network(args: list[str]) -> None:
    if args[:2] == ["disconnect", "-f"] and len(args) == 4:
        (STATE / "stale-endpoints" / args[3]).unlink(missing_ok=True)
        return
    if args[:1] == ["connect"] and len(args) == 5 and args[1] == "--alias":
        args = [args[0], *args[3:]]
    if args[:1] != ["connect"] or len(args) != 3:
        fail(f"unsupported: network {' '.join(args)}")
    rec = record(args[2]) or fail(f"No such container: {args[2]}")
    rec["networks"].append(args[1])
    (CONTAINERS / f"{args[2]}.json").write_text(json.dumps(rec))


def main() -> None:
    argv = sys.argv[1:]
    with open(STATE / "calls.jsonl", "a") as fh:
        fh.write(json.dumps(argv) + "\n")
    commands = {"run": cmd_run, "inspect": cmd_inspect, "stop": cmd_stop, "rm": cmd_rm,
                "logs": cmd_logs, "pull": cmd_pull, "network": cmd_network, "image": cmd_image}
    if not argv or argv[0] not in commands:
        fail(f"fake docker does not implement: {' '.join(argv)}")
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main()

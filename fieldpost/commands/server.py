"""``fieldpost serve``, ``status`` and ``service start|stop|restart NAME``."""

from __future__ import annotations

import argparse
import json
import socket
import time
from typing import Any

from fieldpost import control, runstate
from fieldpost.commands import load_config, opened_store
from fieldpost.config import SERVICES, Config


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("serve", parents=[common], help="run every service (foreground)")
    parser.add_argument("--port-offset", type=int, default=0, metavar="N", help="add N to every port")
    parser.set_defaults(func=serve)

    parser = subparsers.add_parser("status", parents=[common], help="show services, ports and store figures")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=status)

    parser = subparsers.add_parser("service", parents=[common], help="start, stop or restart one service")
    parser.add_argument("action", choices=("start", "stop", "restart"))
    parser.add_argument("name", choices=SERVICES, metavar="NAME", help=", ".join(SERVICES))
    parser.set_defaults(func=service)


def serve(args: argparse.Namespace) -> int:
    from fieldpost.supervisor import Supervisor  # only ``serve`` runs one

    return Supervisor(load_config(args, args.port_offset)).run()


#: how long ``service restart`` waits for a rolling restart to finish before it says so and returns
ROLL_WAIT = 300.0


def service(args: argparse.Namespace) -> int:
    config = load_config(args)
    reply = control.request(config, args.action, args.name)
    info = reply.get("service", {})
    deadline = time.monotonic() + ROLL_WAIT
    while info.get("rolling") and time.monotonic() < deadline:  # a pool is replaced one worker at a time
        time.sleep(0.25)
        info = control.request(config, "status").get("services", {}).get(args.name, {})
    pids = ", ".join(str(w["pid"] or "-") for w in info.get("workers", [])) or info.get("pid") or "-"
    still = " (rolling restart still going)" if info.get("rolling") else ""
    print(f"{args.name}: {info.get('state')} (pid {pids}){still}")
    return 0


def port_held(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def collect_status(config: Config) -> dict[str, Any]:
    pid = runstate.running_supervisor(config)
    state = runstate.read_state(config) if pid else {}
    recorded = state.get("services", {})
    services: dict[str, Any] = {}
    for name in config.services:
        entry = recorded.get(name) if pid else None
        if entry is None:
            entry = {
                "pid": None,
                "state": "stopped",
                "restarts": 0,
                "started_at": None,
                "listeners": [listener.as_dict() for listener in config.listeners(name)],
                "workers": [],
                "rolling": False,
            }
        for listener in entry["listeners"]:
            if listener["proto"] == "tcp":
                listener["held"] = port_held(listener["host"], listener["port"])
        services[name] = entry
    result: dict[str, Any] = {
        "data": str(config.data_dir),
        "supervisor": {"state": "running" if pid else "stopped", "pid": pid},
        "services": services,
    }
    try:
        with opened_store(config) as store:
            result["store"] = store.stats()
    except Exception as exc:  # status must report what it can even when the store is unusable
        result["store"] = {"error": f"{type(exc).__name__}: {exc}"}
    return result


def status(args: argparse.Namespace) -> int:
    info = collect_status(load_config(args))
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    sup = info["supervisor"]
    print(f"data       {info['data']}")
    print(f"supervisor {sup['state']}" + (f" (pid {sup['pid']})" if sup["pid"] else ""))
    print()
    print(f"{'service':<11} {'state':<8} {'pid':>7} {'restarts':>8}  listeners")
    for name, entry in info["services"].items():
        ports = ", ".join(
            f"{lst['name']} {lst['port']}/{lst['proto']}"
            + ("" if lst["proto"] != "tcp" else (" held" if lst.get("held") else " free"))
            for lst in entry["listeners"]
        )
        print(
            f"{name:<11} {entry['state']:<8} {entry['pid'] or '-':>7} {entry['restarts']:>8}  {ports or '-'}"
        )
        workers = [w for w in entry.get("workers", []) if w.get("worker")]
        for worker in workers:  # a pool: one line per worker process
            label = f"  {name}.{worker['worker']}"
            since = f"since {worker['started_at']}" if worker.get("started_at") else ""
            print(
                f"{label:<11} {worker['state']:<8} {worker['pid'] or '-':>7} {worker['restarts']:>8}  {since}"
            )
    print()
    store = info["store"]
    if "error" in store:
        print(f"store      unavailable: {store['error']}")
    else:
        print("store      " + ", ".join(f"{key} {value}" for key, value in store.items()))
    return 0

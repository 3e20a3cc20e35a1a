"""`make soak`: does the local server's memory stay flat under sustained load?

    python -m bench.soak [--requests 2000] [--rounds 5] [--clients 8]

Starts the local server in this process (as `make run` does, on free ports), then sends
rounds of requests from several clients, each request on a new connection (a new thread
in the server): reads, edits (DynamoDB transactions), pages, unknown routes and methods.
After each round it prints the process's resident memory, threads and open files. A
flat RSS column is the goal; it grew by about 15 MB per 1,000 requests before moto's
instance tracking was turned off (hail_tools.embedded.untrack_moto_models).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import tempfile
import threading
import time
from pathlib import Path

WORKLOAD = [
    ("GET", "/v1/publications/camp2026", None),
    ("GET", "/v1/organisations/demo-school/publications?limit=2&order=title", None),
    ("GET", "/v1/organisations/demo-school/styles", None),
    ("PUT", "/v1/publications/camp2026", {"title": "Year 9 Camp"}),
    ("GET", "/p/welcome1", None),
    ("PUT", "/v1/publications/draft001", {"editorial": "<p>Ideas for the spring issue.</p>"}),
    ("GET", "/v1/organisations/demo-school/publications/count?status=unpublished", None),
    ("GET", "/nowhere", None),
    ("TRACE", "/v1/publications/camp2026", None),
]


def _status() -> dict[str, int]:
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "Threads"):
                found[name] = int(value.split()[0])
    found["files"] = len(os.listdir("/proc/self/fd"))
    return found


def _client(host: str, port: int, token: str, count: int, offset: int, errors: list) -> None:
    for n in range(count):
        method, path, body = WORKLOAD[(n + offset) % len(WORKLOAD)]
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            connection.request(
                method,
                path,
                body=json.dumps(body).encode() if body is not None else None,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            if response.status >= 500:
                errors.append(f"{method} {path}: {response.status}")
        finally:
            connection.close()


def _round(host: str, port: int, token: str, requests: int, clients: int) -> tuple[float, list]:
    errors: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(host, port, token, requests // clients, n, errors))
        for n in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HAIL_LOCAL_DIR"] = tmp
        import sys

        from hail_tools import keys, serve

        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the server's access log
        running = serve.start(0, keys_dir=Path(tmp), endpoint_file=None)
        host, port = running.server.server_address[:2]
        token = keys.mint_token("paula", directory=Path(tmp))
        _round(str(host), port, token, 200, args.clients)  # warm: every handler imported
        gc.collect()
        before = _status()
        print(f"# Soak: {args.rounds} rounds of {args.requests:,} requests, {args.clients} clients")
        print("\n| after | requests/s | RSS MB | threads | open files | 5xx |")
        print("|---|---|---|---|---|---|")
        print(
            f"| warm-up | - | {before['VmRSS'] / 1024:.0f} | {before['Threads']} "
            f"| {before['files']} | - |"
        )
        total = 0
        for _ in range(args.rounds):
            elapsed, errors = _round(str(host), port, token, args.requests, args.clients)
            total += args.requests
            gc.collect()
            now = _status()
            print(
                f"| {total:,} requests | {args.requests / elapsed:.0f} "
                f"| {now['VmRSS'] / 1024:.0f} | {now['Threads']} | {now['files']} "
                f"| {len(errors)} |",
                flush=True,
            )
        grown = (now["VmRSS"] - before["VmRSS"]) / 1024
        print(
            f"\nRSS grew {grown:+.0f} MB over {total:,} requests "
            f"({grown * 1024 * 1000 / total:+.0f} KB per 1,000)."
        )
        running.stop()


if __name__ == "__main__":
    main()
